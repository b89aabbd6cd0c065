"""one_take: one synthesis of a text in a voice, on the model thread, with its own cost and (when
asked) how much it sounds like the voice. The job runner's scenes and the workers' both use it."""

from __future__ import annotations

import time

from backend.core.speech import Audio, EngineVoice, SynthesisParams, VoiceRef
from backend.engines.base import Engine


def one_take(
    engine: Engine,
    text: str,
    ref: VoiceRef | EngineVoice | None,
    params: SynthesisParams,
    similarity: bool,
) -> tuple[Audio, float, float | None]:
    """The audio, its synthesis seconds and the speaker similarity (None unless `similarity`).
    One call, so the voice handle is the same throughout and nothing interleaves."""
    handle = engine.prepare_voice(ref)
    started = time.perf_counter()
    audio = engine.synthesize(text, handle, params)
    seconds = time.perf_counter() - started
    return audio, seconds, engine.speaker_similarity(audio, handle) if similarity else None

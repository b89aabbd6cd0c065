"""Speaker: speaks one text with the managed engine — clean it, split it, synthesise, join —
whole (`speak`) or piece by piece as each chunk is ready (`stream`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import numpy as np
from starlette.concurrency import run_in_threadpool

from backend.audio.assemble import fade_edges, join
from backend.core.errors import TextEmpty
from backend.core.settings import Settings
from backend.core.speech import Audio, EngineVoice, SynthesisParams, VoiceRef
from backend.engines.manager import ModelManager
from backend.text.chunking import split_text
from backend.text.clean import clean_text


class Speaker:
    def __init__(self, manager: ModelManager, settings: Settings):
        self.manager = manager
        self.settings = settings

    async def speak(
        self,
        text: str,
        ref: VoiceRef | EngineVoice | None,
        params: SynthesisParams,
        model: str | None = None,
    ) -> Audio:
        """Chunks at sentence boundaries (the engine's safe length), one model call per chunk.

        Chunks are separate calls so other work (jobs, other requests) interleaves between them;
        `hold` keeps the model resident for the whole text even with keep-alive 0. `model` (a
        catalog key, see backend.speaking.prepare) switches to that model first.
        """
        parts = [
            part async for _, _, part in self._parts(text, ref, params, model, first_alone=False)
        ]
        return join(parts, self.settings.crossfade_ms, self._pause_ms(params))

    async def stream(
        self,
        text: str,
        ref: VoiceRef | EngineVoice | None,
        params: SynthesisParams,
        model: str | None = None,
    ) -> AsyncIterator[Audio]:
        """Like `speak`, but yielded chunk by chunk as each is synthesised.

        The first chunk is the first sentence alone, so the first piece comes after the
        shortest possible synthesis. The pieces, concatenated, equal `join` of the same chunks
        (each carries its fades and the pause before it). Errors before the first piece (empty
        text, busy server, a model that will not load) are raised by the first `__anext__`.
        Closing the iterator early (a client that went away) submits no further chunk: the
        chunk being synthesised finishes and the engine is not called again.
        """
        # aclosing: a consumer that stops early releases the model at once, not at collection
        async with contextlib.aclosing(
            self._parts(text, ref, params, model, first_alone=True)
        ) as parts:
            async for index, last, part in parts:
                yield self._piece(part, index, last, self._pause_ms(params))

    async def _parts(
        self,
        text: str,
        ref: VoiceRef | EngineVoice | None,
        params: SynthesisParams,
        model: str | None,
        first_alone: bool,
    ) -> AsyncIterator[tuple[int, int, Audio]]:
        """(index, last index, audio) of each chunk, synthesised one model call at a time."""
        text = clean_text(text, self.settings.max_text_chars)
        # Sentence splitting of a long text takes tenths of a second: keep it off the event loop.
        chunks = await run_in_threadpool(
            split_text, text, self.manager.capabilities_for(model).max_chars, first_alone
        )
        if not chunks:
            raise TextEmpty()
        with self.manager.admit(), self.manager.hold():
            for index, chunk in enumerate(chunks):
                part = await self.manager.run(
                    lambda engine, chunk=chunk: engine.synthesize(
                        chunk, engine.prepare_voice(ref), params
                    ),
                    deadline=self.settings.scene_timeout_seconds,  # a chunk is a scene's size
                    model=model,
                )
                yield index, len(chunks) - 1, part

    def _pause_ms(self, params: SynthesisParams) -> float:
        """The pause between chunks at this speaking rate: it scales with the speech."""
        return self.settings.pause_ms / params.rate

    def _piece(self, part: Audio, index: int, last: int, pause_ms: float) -> Audio:
        """`part` as `join` places it: faded at inner edges, after a pause unless it is first;
        its marks count from the piece's own first sample."""
        if last == 0:
            return part
        samples = fade_edges(part, self.settings.crossfade_ms, index > 0, index < last)
        marks = part.marks
        if index > 0:
            pause = np.zeros(round(part.sample_rate * pause_ms / 1000), np.float32)
            samples = np.concatenate([pause, samples])
            offset = len(pause) / part.sample_rate
            marks = tuple(m.moved(offset) for m in marks) if marks is not None else None
        return Audio(samples, part.sample_rate, marks)

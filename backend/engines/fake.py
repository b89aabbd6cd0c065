"""FakeEngine: deterministic audio for tests, with configurable delay and failures, and events
that let a test order its steps (`started`, `hanging`, `release`) instead of sleeping.

Each voice speaks a sine tone at its own frequency, so a test can tell from the audio which voice
was used; the length grows with the text, and each sentence's mark covers its share of it. The
speaker check hears the same tone: audio matches a voice when its dominant frequency is that
voice's.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from backend.core.errors import (
    NoVoiceLoaded,
    VoiceCloningUnavailable,
    VoiceConversionUnavailable,
)
from backend.core.speech import (
    Audio,
    Capabilities,
    EngineMemory,
    Mark,
    SynthesisParams,
    VoiceRef,
)
from backend.text.chunking import split_sentences

SECONDS_PER_CHAR = 0.01
BUILTIN_HZ = 220.0


def voice_frequency(voice_id: str | None) -> float:
    """The tone a voice speaks in: 220 Hz for the built-in voice, 300-1500 Hz for others."""
    if voice_id is None:
        return BUILTIN_HZ
    return 300.0 + zlib.crc32(voice_id.encode()) % 1200


class FakeEngine:
    name = "fake"

    def __init__(
        self,
        *,
        can_clone: bool = True,
        has_builtin_voice: bool = True,
        max_chars: int = 300,
        sample_rate: int = 16000,
        delay: float = 0.0,
        load_delay: float = 0.0,
        fail_load: Exception | None = None,
        fail_when: Callable[[str], Exception | None] | None = None,
        hang_when: Callable[[str], bool] | None = None,
        environment_error: Exception | None = None,
        memory: EngineMemory | None = None,
        judges_speaker: bool = True,
        similarity_when: Callable[[int], float | None] | None = None,
        hang_on: str | None = None,
        crash_on: str | None = None,
        crash_flag: str | None = None,
        name: str = "fake",
        model: str | None = None,
        tags: tuple[str, ...] = (),
        languages: tuple[str, ...] = ("en",),
        min_reference_seconds: float = 0.0,
        ignored_params: tuple[str, ...] = (),
        can_convert_voice: bool = True,
        timed: bool = True,
    ):
        # A fake member of the Chatterbox family: its model key, tags, languages and limits.
        self.name = name
        self.capabilities = Capabilities(
            can_clone,
            has_builtin_voice,
            max_chars,
            model=model,
            tags=tags,
            languages=languages,
            min_reference_seconds=min_reference_seconds,
            ignored_params=ignored_params,
            can_convert_voice=can_convert_voice,
        )
        self._rate = sample_rate
        self.delay = delay
        self.load_delay = load_delay
        self.fail_load = fail_load
        self.fail_when = fail_when
        self.hang_when = hang_when  # such a text blocks synthesize until `release` is set
        # Picklable forms for a FakeEngine inside an engine host (backend.engines.host): a text
        # containing `hang_on` hangs until `release` (in a host: until the host is killed); one
        # containing `crash_on` ends the process at once, as a native crash would.
        self.hang_on = hang_on
        self.crash_on = crash_on
        self.crash_flag = crash_flag  # a path: crash only while it does not exist (then make it)
        self.release = threading.Event()
        self.started = threading.Event()  # set when a synthesize call begins (clear to re-arm)
        self.hanging = threading.Event()  # set when a call begins to wait for `release`
        self.environment_error = environment_error
        self._memory = memory or EngineMemory()
        self.judges_speaker = judges_speaker  # False: speaker_similarity is None, as Piper's
        # Called with the number of the speaker_similarity call (from 0); a float it returns
        # replaces the score, None keeps the tone comparison. Lets a test force a low score.
        self.similarity_when = similarity_when
        self.similarities: list[float | None] = []  # every score returned, in order
        self.timed = timed  # True: audio carries sentence marks, as Piper's; False: as Chatterbox's
        self._loaded = False
        self.loads = 0
        self.runtime_imports = 0
        self.unloads = 0
        self.calls: list[tuple[str, str | None]] = []
        self.prepared: list[str | None] = []
        self.active = 0
        self.max_active = 0
        self._count_lock = threading.Lock()

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def sample_rate(self) -> int:
        return self._rate

    def check_environment(self) -> None:
        if self.environment_error is not None:
            raise self.environment_error

    def import_runtime(self) -> None:
        self.runtime_imports += 1

    def load(self) -> None:
        if self._loaded:
            return
        time.sleep(self.load_delay)
        if self.fail_load is not None:
            raise self.fail_load
        self._loaded = True
        self.loads += 1

    def unload(self) -> None:
        if self._loaded:
            self.unloads += 1
        self._loaded = False

    def is_loaded(self) -> bool:
        return self._loaded

    def prepare_voice(self, ref: VoiceRef | None) -> str | None:
        if ref is not None and not self.capabilities.can_clone:
            raise VoiceCloningUnavailable()
        if ref is None and not self.capabilities.has_builtin_voice:
            raise NoVoiceLoaded()
        voice_id = None if ref is None else ref.voice_id
        self.prepared.append(voice_id)
        return voice_id

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        assert self._loaded, "synthesize called on an unloaded engine"
        with self._count_lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.calls.append((text, handle))
            self.started.set()
            if self.delay:
                time.sleep(self.delay)
            if self.crash_on is not None and self.crash_on in text and self._crash_armed():
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
            hangs = self.hang_on is not None and self.hang_on in text
            if hangs or (self.hang_when is not None and self.hang_when(text)):
                self.hanging.set()
                self.release.wait()
            if self.fail_when is not None and (error := self.fail_when(text)) is not None:
                raise error
            seconds = max(0.05, len(text) * SECONDS_PER_CHAR / params.rate)
            t = np.arange(int(seconds * self._rate), dtype=np.float32) / self._rate
            tone = 0.5 * np.sin(2 * np.pi * voice_frequency(handle) * t)
            return Audio(tone.astype(np.float32), self._rate, self._marks(text, len(t)))
        finally:
            with self._count_lock:
                self.active -= 1

    def _marks(self, text: str, length: int) -> tuple[Mark, ...] | None:
        """Sentence marks as a real engine reports them: each sentence's share of the tone in
        proportion to its characters (None with `timed` off: an engine that cannot tell)."""
        if not self.timed:
            return None
        sentences = split_sentences(text)
        total = sum(len(sentence) for sentence in sentences) or 1
        marks, done = [], 0
        for sentence in sentences:
            start = done * length // total
            done += len(sentence)
            marks.append(Mark(start / self._rate, done * length // total / self._rate, sentence))
        return tuple(marks)

    def convert_voice(self, audio: Audio, handle: Any) -> Audio:
        """The recording's length, in the tone of voice `handle`."""
        assert self._loaded, "convert_voice called on an unloaded engine"
        if not self.capabilities.can_convert_voice:
            raise VoiceConversionUnavailable()
        self.calls.append(("<convert>", handle))
        n = round(audio.seconds * self._rate)
        t = np.arange(n, dtype=np.float32) / self._rate
        tone = 0.5 * np.sin(2 * np.pi * voice_frequency(handle) * t)
        return Audio(tone.astype(np.float32), self._rate)

    def _crash_armed(self) -> bool:
        if self.crash_flag is None:
            return True
        try:
            open(self.crash_flag, "x").close()  # the first crash makes it
        except FileExistsError:
            return False
        return True

    def speaker_similarity(self, audio: Audio, handle: Any) -> float | None:
        """1.0 when the audio's dominant frequency is the tone of voice `handle` (within one FFT
        bin), else 0.0; `similarity_when` may force another score."""
        score = self._similarity(audio, handle, len(self.similarities))
        self.similarities.append(score)
        return score

    def _similarity(self, audio: Audio, handle: Any, call: int) -> float | None:
        if not self.judges_speaker or not len(audio.samples):
            return None
        if self.similarity_when is not None:
            forced = self.similarity_when(call)
            if forced is not None:
                return forced
        spectrum = np.abs(np.fft.rfft(audio.samples))
        bin_hz = audio.sample_rate / len(audio.samples)
        heard = float(spectrum.argmax()) * bin_hz
        return 1.0 if abs(heard - voice_frequency(handle)) <= bin_hz else 0.0

    def memory(self) -> EngineMemory:
        return self._memory

    def info(self) -> dict[str, Any]:
        return {"fake": True}

"""The takes of one scene: the checks each take is judged by, which take is kept, what is recorded.

Two checks, each optional: Whisper's word error rate (at most `quality_max_wer`) and the speaker
check, the engine's cosine similarity between the take and the job's voice (at least
`speaker_min_similarity`). A check that did not run (off, or the engine could not judge) neither
passes nor fails. Checks run after a take is playable (backend.jobs.narrator `settle`): while the
chosen take fails a check, a re-take with a new seed is queued, at most `quality_retakes` a cycle,
and a re-take replaces the chosen take only when it ranks better: failing fewer checks, then more
similar to the voice (a judged take before an unjudged one), then fewer wrong words, then earlier.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backend.core.settings import Settings
from backend.core.speech import Audio, WordMark
from backend.jobs.quality import QualityChecker, error_rate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Take:
    """One synthesis of a scene; `wer` and `similarity` are None where that check did not run."""

    audio: Audio
    number: int  # 1 for the first take
    wer: float | None = None
    similarity: float | None = None
    converted: bool = False  # re-voiced into the job's voice (speaker_repair=convert)
    heard: tuple[WordMark, ...] | None = None  # Whisper's timed words, where the check ran


def scored(
    number: int, wer: float | None, similarity: float | None, converted: bool = False
) -> Take:
    """A stored take known by its scores only (its audio is in its file): enough to rank it."""
    return Take(Audio(np.zeros(0, np.float32), 1), number, wer, similarity, converted)


class TakeJudge:
    """Judges takes against the settings. Used by the job worker's one synthesis thread."""

    def __init__(self, settings: Settings, checker: QualityChecker | None):
        self.checker = checker
        self.speaker_check = settings.speaker_check
        self.max_wer = settings.quality_max_wer
        self.min_similarity = settings.speaker_min_similarity
        self.max_takes = 1 + settings.quality_retakes
        self._warned = False

    @property
    def wants_similarity(self) -> bool:
        return self.speaker_check != "off"

    @property
    def wants_words(self) -> bool:
        """Whether Whisper hears each take (the check that runs on its own thread)."""
        return self.checker is not None

    def first_look(self, audio: Audio, number: int, similarity: float | None) -> Take:
        """The take as synthesis leaves it: its similarity (measured in the same engine call),
        its words not yet heard."""
        if similarity is None and self.speaker_check == "on" and not self._warned:
            self._warned = True  # once: the engine will not learn to judge between scenes
            log.warning("CHATTERBOX_SPEAKER_CHECK=on, but this engine cannot judge the speaker")
        return Take(audio, number, None, similarity if self.wants_similarity else None)

    def hear(self, take: Take, text: str) -> Take:
        """The take with Whisper's word error rate against `text` and its timed words (the
        checker's thread calls this: it takes as long as a fraction of the synthesis)."""
        if self.checker is None:
            return take
        heard = self.checker.hear(take.audio)
        return replace(take, wer=error_rate(heard.text, text), heard=heard.words)

    def judge(self, audio: Audio, text: str, number: int, similarity: float | None) -> Take:
        """The take with its word error rate measured (Whisper check on) and its similarity."""
        return self.hear(self.first_look(audio, number, similarity), text)

    @property
    def checks(self) -> bool:
        """Whether any check can judge a take (Whisper, or the speaker check asked for)."""
        return self.wants_words or self.wants_similarity

    def failures(self, take: Take) -> int:
        """How many checks the take fails (0, 1 or 2)."""
        bad_words = take.wer is not None and take.wer > self.max_wer
        bad_voice = take.similarity is not None and take.similarity < self.min_similarity
        return int(bad_words) + int(bad_voice)

    def passes(self, take: Take) -> bool:
        return self.failures(take) == 0

    def better(self, kept: Take | None, take: Take) -> Take:
        """The better of the take kept so far and a new one (see the module docstring)."""
        if kept is None or self._rank(take) < self._rank(kept):
            return take
        return kept

    def _rank(self, take: Take) -> tuple[int, float, float, int]:
        unlike = -take.similarity if take.similarity is not None else math.inf
        return self.failures(take), unlike, take.wer or 0.0, take.number

    def quality(self, kept: Take, takes: int) -> dict[str, Any] | None:
        """The scene's stored quality: takes made and, per check that ran, its score or bar.

        None when no check ran. The similarity itself is its own column (`speaker_similarity`).
        """
        if kept.wer is None and kept.similarity is None and takes == 1:
            return None
        quality: dict[str, Any] = {"takes": takes}
        if kept.wer is not None:
            quality["wer"] = round(kept.wer, 3)
        if kept.similarity is not None:
            quality["speaker_min_similarity"] = self.min_similarity
        if kept.converted:
            quality["repair"] = "voice_conversion"
        return quality

    def only_the_voice_fails(self, take: Take) -> bool:
        """The words are right (or unchecked) and only the speaker check fails: a case voice
        conversion can repair without a whole re-take."""
        bad_words = take.wer is not None and take.wer > self.max_wer
        bad_voice = take.similarity is not None and take.similarity < self.min_similarity
        return bad_voice and not bad_words

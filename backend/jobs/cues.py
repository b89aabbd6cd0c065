"""A finished narration's cues: its sentences (or words) timed in the assembled audio, each at its
scene's start plus its offset within the scene, and written as SRT or WebVTT."""

from __future__ import annotations

import datetime
import html
from dataclasses import dataclass
from typing import Any, Literal

import srt
import webvtt

from backend.core.errors import NotReady, TimesUnavailable

Level = Literal["sentence", "word"]


@dataclass(frozen=True)
class Cue:
    """One sentence (or word) of the narration: seconds from the start of the assembled audio;
    `scene` is the idx of the scene it belongs to, `sentence` its number within that scene,
    `word` (word level) its number within the sentence."""

    start: float
    end: float
    text: str
    scene: int
    sentence: int
    word: int | None = None

    @property
    def key(self) -> str:
        """Its name, unique in the narration: "s3-0" (scene 3, sentence 0), "s3-0-2" (word 2);
        the WebVTT cue identifier and the read-along EPUB's span id."""
        base = f"s{self.scene}-{self.sentence}"
        return base if self.word is None else f"{base}-{self.word}"


def cues(job: dict[str, Any], level: Level = "sentence") -> list[Cue]:
    """The job's cues in narration order, never overlapping (a cue ends at the latest where the
    next begins). Raises NotReady before the narration is assembled (or for a job assembled
    before scenes were timed) and TimesUnavailable for word level where no word was timed."""
    scenes = job.get("scenes") or []
    if not job.get("final_audio_path") or not scenes:
        progress = job["progress"]
        raise NotReady(
            f"The narration is {job['status']}: {progress['completed']} of {progress['total']} "
            "scenes are done, and its subtitles follow the assembled audio."
        )
    if any(scene.get("start_seconds") is None or scene.get("marks") is None for scene in scenes):
        raise NotReady(
            "This narration was assembled before scenes were timed, so it has no subtitles.",
            "Narrate the text again as a new job: every new narration is timed.",
        )
    found: list[Cue] = []
    for scene in scenes:
        offset = scene["start_seconds"]
        for number, mark in enumerate(scene["marks"]):
            units = (mark.get("words") or []) if level == "word" else [mark]
            for word, unit in enumerate(units):
                text = unit["word"] if level == "word" else unit["text"]
                at = (offset + unit["start"], offset + unit["end"])
                place = (scene["idx"], number, word if level == "word" else None)
                found.append(Cue(*at, text, *place))
    if level == "word" and not found:
        raise TimesUnavailable()
    return _no_overlap(found)


def _no_overlap(found: list[Cue]) -> list[Cue]:
    tidy: list[Cue] = []
    for number, cue in enumerate(found):
        end = cue.end
        if number + 1 < len(found):
            end = min(end, found[number + 1].start)
        start = round(cue.start, 3)
        tidy.append(
            Cue(start, max(start, round(end, 3)), cue.text, cue.scene, cue.sentence, cue.word)
        )
    return tidy


def to_srt(found: list[Cue]) -> str:
    """SubRip text: numbered cues, times as HH:MM:SS,mmm (through the srt library)."""
    return srt.compose(
        [
            srt.Subtitle(number, _delta(cue.start), _delta(cue.end), cue.text)
            for number, cue in enumerate(found, start=1)
        ],
        reindex=False,
    )


def to_vtt(found: list[Cue]) -> str:
    """WebVTT text (through webvtt-py): each cue named by its key, its text escaped (&, <, >
    are markup there)."""
    document = webvtt.WebVTT(
        captions=[
            webvtt.Caption(
                _stamp(cue.start),
                _stamp(cue.end),
                html.escape(cue.text, quote=False),
                identifier=cue.key,
            )
            for cue in found
        ]
    )
    return document.content


def _delta(seconds: float) -> datetime.timedelta:
    return datetime.timedelta(milliseconds=round(seconds * 1000))


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"

"""A scene's sentence marks: the engine's own, else Whisper's words, else the pauses in the sound."""

from __future__ import annotations

import numpy as np

from backend.core.speech import Audio, Mark, WordMark
from backend.jobs.marks import from_sound, from_words, scene_marks

RATE = 16000
TEXT = "The first sentence is rather long indeed. Short one. And the last sentence here."


def speech(*spans: tuple[float, float], seconds: float) -> Audio:
    """A tone sounding over each (start, end) span, silence elsewhere."""
    samples = np.zeros(int(seconds * RATE), dtype=np.float32)
    t = np.arange(len(samples)) / RATE
    for start, end in spans:
        inside = (t >= start) & (t < end)
        samples[inside] = 0.4 * np.sin(2 * np.pi * 180 * t[inside])
    return Audio(samples, RATE)


def test_the_engines_own_marks_are_kept_as_they_are() -> None:
    audio = speech((0, 1), seconds=1.0)
    audio.marks = (Mark(0.0, 0.4, "One."), Mark(0.5, 1.0, "Two."))
    assert scene_marks("One. Two.", audio, None) == [
        {"start": 0.0, "end": 0.4, "text": "One."},
        {"start": 0.5, "end": 1.0, "text": "Two."},
    ]


def test_without_marks_or_words_each_boundary_is_the_pause_nearest_its_share_of_the_text() -> None:
    # The sentence lengths would put the boundaries at about 2.2 s and 2.9 s of speech; the
    # real pauses are at 2.0-2.3 s and 3.1-3.35 s, and a false pause in a word at 1.0 s is far off.
    audio = speech((0.2, 1.0), (1.07, 2.0), (2.3, 3.1), (3.35, 5.0), seconds=5.3)
    marks = from_sound(
        ["The first sentence is rather long indeed.", "Short one.", "And the last sentence here."],
        audio,
    )
    assert [round(m.start, 2) for m in marks] == [0.2, 2.3, 3.35]
    assert [round(m.end, 2) for m in marks] == [2.0, 3.1, 5.0]


def test_whispers_words_time_each_sentence_even_where_some_words_were_misheard() -> None:
    heard = (
        WordMark(0.1, 0.3, "The"),
        WordMark(0.3, 0.6, "first"),
        WordMark(0.6, 1.0, "sentence"),
        WordMark(1.0, 1.2, "is"),
        WordMark(1.2, 1.5, "rather"),
        WordMark(1.5, 1.8, "wrong"),  # misheard "long"
        WordMark(1.8, 2.1, "indeed."),
        WordMark(2.5, 2.8, "Short"),
        WordMark(2.8, 3.0, "one."),
        WordMark(3.4, 3.6, "And"),
        WordMark(3.6, 3.8, "the"),
        WordMark(3.8, 4.1, "last"),
        WordMark(4.1, 4.6, "sentence"),
        WordMark(4.6, 4.9, "here."),
    )
    marks = from_words(
        ["The first sentence is rather long indeed.", "Short one.", "And the last sentence here."],
        heard,
        5.0,
    )
    assert [(m.start, m.end) for m in marks] == [(0.1, 2.1), (2.5, 3.0), (3.4, 4.9)]


def test_a_sentence_whisper_did_not_hear_at_all_fills_the_gap_between_its_neighbours() -> None:
    heard = (WordMark(0.0, 1.0, "alpha"), WordMark(3.0, 4.0, "gamma"))
    marks = from_words(["Alpha.", "Beta beta.", "Gamma."], heard, 4.0)
    assert [(m.start, m.end) for m in marks] == [(0.0, 1.0), (1.0, 3.0), (3.0, 4.0)]


def test_heard_words_are_kept_with_the_sentence_they_fall_in() -> None:
    audio = speech((0, 2), seconds=2.0)
    audio.marks = (Mark(0.0, 0.9, "One two."), Mark(1.0, 2.0, "Three."))
    heard = (WordMark(0.0, 0.4, "One"), WordMark(0.4, 0.9, "two."), WordMark(1.1, 1.8, "three."))
    marks = scene_marks("One two. Three.", audio, heard)
    assert [[w["word"] for w in m["words"]] for m in marks] == [["One", "two."], ["three."]]
    assert marks[1]["words"][0] == {"start": 1.1, "end": 1.8, "word": "three."}

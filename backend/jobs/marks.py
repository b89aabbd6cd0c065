"""A scene's sentence times within its own audio, as the store keeps them (`scenes.marks`).

Three sources, best first: the engine's own marks (Piper speaks sentence by sentence, so its
boundaries are exact); Whisper's word times where the quality check ran (the sentences' words
found among the words heard, each boundary then moved to the pause it falls in or nearest it);
else an estimate from the sound, each boundary at the pause nearest to where it would fall if
every character took the same time. Whisper's words, where they exist,
are also kept per sentence (the `level=word` subtitles).
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import replace
from typing import Any

import numpy as np

from backend.core.speech import Audio, Mark, WordMark
from backend.jobs.quality import words as plain_words
from backend.text.chunking import split_sentences

FRAME_SECONDS = 0.01
QUIET_BELOW_PEAK_DB = -35.0  # a frame this far under the loudest one counts as a pause
MIN_PAUSE_SECONDS = 0.06
SEARCH_SECONDS = 0.8  # how far from the proportional position a pause may be taken
LONG_PAUSE_WORTH = 2.0  # seconds of distance forgiven per second of pause


def scene_marks(
    text: str, audio: Audio, heard: tuple[WordMark, ...] | None, shown: str | None = None
) -> list[dict]:
    """The marks of `audio` speaking `text`: [{start, end, text, words?}] in seconds, clipped to
    the audio, in order and never overlapping. `heard`: Whisper's words, None where it did not
    run. `shown`: the text as written, where `text` is its spoken form ("$5" said "five
    dollars"): each mark then carries its sentence as written, so subtitles and read-along show
    what the book says, wherever the two split into as many sentences. Empty for a text with no
    sentences."""
    sentences = split_sentences(text)
    if audio.marks is not None:
        marks = list(audio.marks)
    elif heard:
        # Whisper's word times are a few tenths of a second loose: they choose the pause each
        # boundary is, and the pause gives the exact time.
        timed = from_words(sentences, heard, audio.seconds)
        guesses = [(a.end + b.start) / 2 for a, b in itertools.pairwise(timed)]
        marks = from_sound(sentences, audio, guesses)
    else:
        marks = from_sound(sentences, audio)
    if heard:
        marks = _with_words(marks, heard)
    written = split_sentences(shown) if shown is not None else []
    if len(written) == len(marks):
        marks = [
            replace(mark, text=sentence) for mark, sentence in zip(marks, written, strict=True)
        ]
    return [_stored(mark, audio.seconds) for mark in marks]


def from_words(sentences: list[str], heard: tuple[WordMark, ...], seconds: float) -> list[Mark]:
    """Sentence times from Whisper's words: each sentence starts at the first of its words that
    Whisper heard and ends at the last; a sentence none of whose words was heard gets the gap
    between its neighbours in proportion to its characters."""
    expected: list[tuple[str, int]] = [
        (token, number)
        for number, sentence in enumerate(sentences)
        for token in plain_words(sentence).split()
    ]
    tokens = [" ".join(plain_words(word.word).split()) for word in heard]
    matcher = difflib.SequenceMatcher(None, [t for t, _ in expected], tokens, autojunk=False)
    spans: list[list[float]] = [[] for _ in sentences]
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            word = heard[block.b + offset]
            spans[expected[block.a + offset][1]].extend((word.start, word.end))
    times: list[tuple[float, float] | None] = [(min(s), max(s)) if s else None for s in spans]
    return _fill_gaps(sentences, times, seconds)


def from_sound(
    sentences: list[str], audio: Audio, guesses: list[float] | None = None
) -> list[Mark]:
    """Sentence times from the sound: each boundary at a pause, the pauses chosen nearest to the
    boundaries' `guesses` (seconds, one per boundary: Whisper's), else to where the boundaries
    would fall if every character took the same time (module docstring)."""
    if not sentences:
        return []
    quiet = _quiet_frames(audio)
    voiced = np.flatnonzero(~quiet)
    if not len(voiced):
        return _proportional(sentences, 0.0, audio.seconds)
    first, last = voiced[0] * FRAME_SECONDS, (voiced[-1] + 1) * FRAME_SECONDS
    if guesses is None:
        lengths = np.cumsum([len(sentence) for sentence in sentences], dtype=float)
        guesses = [first + share * (last - first) for share in lengths[:-1] / lengths[-1]]
    bounds = _nearest_pauses(guesses, _pauses(quiet))
    starts = [first, *(b[1] for b in bounds)]
    ends = [*(b[0] for b in bounds), min(last, audio.seconds)]
    return [Mark(s, max(s, e), t) for s, e, t in zip(starts, ends, sentences, strict=True)]


def _nearest_pauses(
    targets: list[float], pauses: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """For each boundary (its proportional position, in order) a pause, each pause used once and
    in order, so that the summed distances, less LONG_PAUSE_WORTH times the pauses' lengths,
    are least; a boundary with no pause within
    SEARCH_SECONDS stays at its position (a zero-length pause there)."""
    miss = SEARCH_SECONDS
    inf = float("inf")
    rows, cols = len(targets) + 1, len(pauses) + 1
    cost = [[0.0] * cols for _ in range(rows)]  # cost[i][j]: first i boundaries, first j pauses
    for i in range(1, rows):
        cost[i][0] = cost[i - 1][0] + miss
        for j in range(1, cols):
            start, end = pauses[j - 1]
            distance = abs((start + end) / 2 - targets[i - 1])
            # A sentence ends in a longer pause than a comma: a long pause is worth a detour.
            taken = distance - LONG_PAUSE_WORTH * min(end - start, 0.5)
            cost[i][j] = min(
                cost[i][j - 1],
                cost[i - 1][j - 1] + taken if distance <= SEARCH_SECONDS else inf,
                cost[i - 1][j] + miss,
            )
    bounds: list[tuple[float, float]] = []
    i, j = rows - 1, cols - 1
    while i > 0:
        if j > 0 and cost[i][j] == cost[i][j - 1]:
            j -= 1
        elif cost[i][j] == cost[i - 1][j] + miss:
            bounds.append((targets[i - 1], targets[i - 1]))
            i -= 1
        else:
            bounds.append(pauses[j - 1])
            i, j = i - 1, j - 1
    return bounds[::-1]


def _quiet_frames(audio: Audio) -> np.ndarray:
    """One bool per 10 ms frame: True where the frame's RMS is far under the loudest frame's."""
    size = max(1, round(audio.sample_rate * FRAME_SECONDS))
    count = len(audio.samples) // size
    if not count:
        return np.ones(0, dtype=bool)
    frames = audio.samples[: count * size].astype(np.float64).reshape(count, size)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-12
    level = 20 * np.log10(rms / rms.max())
    return level < QUIET_BELOW_PEAK_DB


def _pauses(quiet: np.ndarray) -> list[tuple[float, float]]:
    """The quiet runs at least MIN_PAUSE_SECONDS long, as (start, end) seconds."""
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    least = MIN_PAUSE_SECONDS / FRAME_SECONDS
    return [
        (s * FRAME_SECONDS, e * FRAME_SECONDS)
        for s, e in zip(starts, ends, strict=True)
        if e - s >= least
    ]


def _proportional(sentences: list[str], start: float, end: float) -> list[Mark]:
    """`sentences` spread over start..end in proportion to their characters."""
    total = sum(len(sentence) for sentence in sentences) or 1
    marks, done = [], 0
    for sentence in sentences:
        begin = start + (end - start) * done / total
        done += len(sentence)
        marks.append(Mark(begin, start + (end - start) * done / total, sentence))
    return marks


def _fill_gaps(
    sentences: list[str], times: list[tuple[float, float] | None], seconds: float
) -> list[Mark]:
    """Marks from the times known, the unknown runs spread over the gaps around them."""
    marks: list[Mark] = []
    index = 0
    while index < len(sentences):
        known = times[index]
        if known is not None:
            start = max(known[0], marks[-1].end if marks else 0.0)
            marks.append(Mark(start, max(start, known[1]), sentences[index]))
            index += 1
            continue
        run_end = index
        while run_end < len(sentences) and times[run_end] is None:
            run_end += 1
        begin = marks[-1].end if marks else 0.0
        following = times[run_end] if run_end < len(sentences) else None
        finish = following[0] if following is not None else seconds
        marks.extend(_proportional(sentences[index:run_end], begin, max(begin, finish)))
        index = run_end
    return marks


def _with_words(marks: list[Mark], heard: tuple[WordMark, ...]) -> list[Mark]:
    """Each mark with the heard words whose middle falls in its span (up to the next start)."""
    timed: list[Mark] = []
    for number, mark in enumerate(marks):
        until = marks[number + 1].start if number + 1 < len(marks) else float("inf")
        since = mark.start if number else float("-inf")
        inside = tuple(w for w in heard if since <= (w.start + w.end) / 2 < until)
        timed.append(Mark(mark.start, mark.end, mark.text, inside))
    return timed


def _stored(mark: Mark, seconds: float) -> dict[str, Any]:
    """A mark as the store keeps it: seconds rounded to the millisecond, inside the audio."""

    def clip(value: float) -> float:
        return round(min(max(value, 0.0), seconds), 3)

    stored: dict[str, Any] = {"start": clip(mark.start), "end": clip(mark.end), "text": mark.text}
    if mark.words:
        stored["words"] = [
            {"start": clip(w.start), "end": clip(w.end), "word": w.word} for w in mark.words
        ]
    return stored

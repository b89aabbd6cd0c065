"""Splitting text into sentence-aware chunks short enough for one TTS call each."""

from __future__ import annotations

import itertools
import re

import pysbd

from backend.text.tags import TAG

# A split-off tail shorter than this is too little text to synthesize well on its own.
MIN_FRAGMENT_CHARS = 20

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:]) ")
_TAGS_ONLY = re.compile(rf"{TAG.pattern}(?: {TAG.pattern})*")


def split_text(text: str, max_chars: int, first_alone: bool = False) -> list[str]:
    """Split `text` into chunks of whole sentences, each at most `max_chars` long.

    With `first_alone`, the first sentence (or the first piece of an over-long one) is a chunk
    of its own, so a stream can start playing after the shortest possible first synthesis.

    Whitespace runs collapse to one space, so " ".join(chunks) equals the whitespace-normalised
    text (unless a word had to be cut). Sentences (found by pysbd, which knows "Dr.", "e.g.",
    initials and decimals) are packed greedily; a sentence longer than `max_chars` is split at
    , ; : and then between words, with words moved so it does not end in a fragment shorter than
    MIN_FRAGMENT_CHARS; a word is cut only when it alone exceeds `max_chars`. Empty or blank text
    gives []. Raises ValueError for max_chars < 1.

    Paralinguistic tags (backend.text.tags: "[laugh]", "[clear throat]") are words that are never
    split inside (unless a tag alone exceeds `max_chars`) and never stand alone in a chunk: a tag
    belongs to the sentence after it, or to the one before it when it ends a paragraph, and
    within a sentence that must be split, to the word after (or before) it. A tag is alone only
    in a paragraph of nothing but tags, or when it and its word do not fit in `max_chars`.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    segmenter = pysbd.Segmenter(language="en", clean=False)
    units: list[str] = []
    # pysbd slows down sharply on long inputs, so it sees one paragraph at a time.
    for paragraph in _PARAGRAPH_BREAK.split(text):
        normalised = " ".join(paragraph.split())
        for sentence in _glue_tags(_sentences(normalised, segmenter)):
            units.extend(
                [sentence] if len(sentence) <= max_chars else _split_long(sentence, max_chars)
            )
    if first_alone and units:
        return [units[0], *_pack(units[1:], max_chars)]
    return _pack(units, max_chars)


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, whitespace-normalised, as `split_text` finds them (pysbd, one
    paragraph at a time, tags glued to their sentence), never packed or cut: " ".join of the
    result equals the whitespace-normalised text. Blank text gives []."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    found: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        found.extend(_glue_tags(_sentences(" ".join(paragraph.split()), segmenter)))
    return [sentence for sentence in found if sentence]


def _sentences(text: str, segmenter: pysbd.Segmenter) -> list[str]:
    """Cut single-spaced `text` at pysbd's sentence ends, only where a space follows.

    Offsets come from locating each segment in `text`, so the pieces are exact slices of it even
    where pysbd drops whitespace; a boundary with no space after it ("one?Yes") is not cut, since
    rejoining with a space would change the text.
    """
    if not text:
        return []
    cuts, position = [], 0
    for segment in segmenter.segment(text):
        stripped = segment.strip()
        found = text.find(stripped, position) if stripped else -1
        if found < 0:
            continue
        position = found + len(stripped)
        if position < len(text) and text[position] == " ":
            cuts.append(position)
    bounds = [0, *cuts, len(text)]
    return [text[start:end].strip() for start, end in itertools.pairwise(bounds)]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """Split an over-long sentence at , ; : then between words, then (last resort) in a word."""
    tokens: list[str] = []
    for clause in _CLAUSE_BREAK.split(sentence):
        if len(clause) <= max_chars:
            tokens.append(clause)
            continue
        for word in _glue_tags(_words(clause), max_chars):
            tokens.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    pieces = _pack(tokens, max_chars)
    return _rebalance_tail(pieces, max_chars)


def _rebalance_tail(pieces: list[str], max_chars: int) -> list[str]:
    """Move words from the second-last piece into a tiny last one, keeping both within limits."""
    if len(pieces) < 2:
        return pieces
    head, tail = _glue_tags(_words(pieces[-2]), max_chars), pieces[-1]
    while len(tail) < MIN_FRAGMENT_CHARS and len(head) > 1:
        moved = f"{head[-1]} {tail}"
        if len(moved) > max_chars:
            break
        head, tail = head[:-1], moved
    return [*pieces[:-2], " ".join(head), tail]


def _words(text: str) -> list[str]:
    """`text` split at its spaces, except those inside a tag ("[clear throat]" is one word)."""
    inside = {i for m in TAG.finditer(text) for i in range(m.start(), m.end())}
    cuts = [i for i, char in enumerate(text) if char == " " and i not in inside]
    bounds = [-1, *cuts, len(text)]
    return [text[start + 1 : end] for start, end in itertools.pairwise(bounds)]


def _glue_tags(units: list[str], max_chars: int | None = None) -> list[str]:
    """Join each unit that is only tags to the unit after it, or to the one before it when it
    is last, so that no tag is spoken (or dropped) away from its text. With `max_chars`, only
    where the joined unit fits in it."""
    glued: list[str] = []
    for index, unit in enumerate(units):
        last = index == len(units) - 1
        fits = bool(glued) and (max_chars is None or len(glued[-1]) + 1 + len(unit) <= max_chars)
        if fits and (_TAGS_ONLY.fullmatch(glued[-1]) or (last and _TAGS_ONLY.fullmatch(unit))):
            glued[-1] = f"{glued[-1]} {unit}"
        else:
            glued.append(unit)
    return glued


def _pack(units: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive units with spaces into chunks of at most `max_chars`."""
    chunks: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 1 + len(unit) <= max_chars:
            current = f"{current} {unit}"
        else:
            if current:
                chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def halve(text: str) -> tuple[str, str] | None:
    """Split `text` in two at the boundary nearest its middle: a sentence end if there is one,
    else a , ; : clause break, else a space. None when there is no space to split at.

    For retrying a synthesis that ran out of memory with half the text at a time. A tag stays
    with its text, as in split_text.
    """
    text = " ".join(text.split())
    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences = _glue_tags(_sentences(text, segmenter))
    words = _glue_tags(_words(text))
    tiers = (
        _ends(sentences)[:-1],
        [m.start() for m in _CLAUSE_BREAK.finditer(text)],
        _ends(words)[:-1],
    )
    for cuts in tiers:
        if cuts:
            cut = min(cuts, key=lambda i: abs(i - len(text) / 2))
            return text[:cut].strip(), text[cut:].strip()
    return None


def _ends(pieces: list[str]) -> list[int]:
    """Where each of the space-joined `pieces` ends in their join."""
    return [end - 1 for end in itertools.accumulate(len(piece) + 1 for piece in pieces)]

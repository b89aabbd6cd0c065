"""Pronunciation lexicon entries and how they change the spoken text: a word (whole word, any
case) is replaced by its respelling, or for an engine that takes raw phonemes (Piper's
"[[ ... ]]" blocks) by its phonemes where the entry has them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from backend.core.errors import LexiconEntryInvalid

MAX_WORD_CHARS = 100
MAX_SPELLING_CHARS = 200


@dataclass(frozen=True)
class LexiconEntry:
    """How one word is said: `respelling` (plain letters the model reads, "Nguyen" -> "win"),
    `phonemes` (IPA, for Piper voices); at least one is set. `scope` is '' for the global
    lexicon or a job id. `updated_at` is ISO 8601 UTC."""

    word: str
    respelling: str | None
    phonemes: str | None
    updated_at: str
    scope: str = ""


def checked(
    word: str, respelling: str | None, phonemes: str | None
) -> tuple[str, str | None, str | None]:
    """The entry's fields trimmed (blank ones as None); LexiconEntryInvalid when the word is
    blank, too long or has no letter or digit, when neither respelling nor phonemes is given,
    or when either is too long or phonemes hold a "[[" or "]]" of their own."""
    word = word.strip()
    respelling = (respelling or "").strip() or None
    phonemes = (phonemes or "").strip() or None
    if not word or len(word) > MAX_WORD_CHARS or not any(c.isalnum() for c in word):
        raise LexiconEntryInvalid(
            f"The word must have a letter or digit and at most {MAX_WORD_CHARS} characters.",
            solution="Send the word as it is written in the text, e.g. PUT /lexicon/Nguyen.",
        )
    if respelling is None and phonemes is None:
        raise LexiconEntryInvalid()
    for name, value in (("respelling", respelling), ("phonemes", phonemes)):
        if value is not None and len(value) > MAX_SPELLING_CHARS:
            raise LexiconEntryInvalid(
                f"The {name} has {len(value)} characters; at most {MAX_SPELLING_CHARS}.",
                solution=f"Shorten the {name}: it says one word or name.",
            )
    if phonemes is not None and ("[[" in phonemes or "]]" in phonemes):
        raise LexiconEntryInvalid(
            "Phonemes are sent without the [[ ]] brackets.",
            solution='Send the IPA alone, as in {"phonemes": "w\u02c8\u026an"}: the server adds '
            "the brackets.",
        )
    return word, respelling, phonemes


def word_pattern(word: str) -> re.Pattern[str]:
    """`word` as a whole word, any case ("Mendel" in "Mendel's", not in "Mendelian")."""
    return re.compile(rf"(?<!\w){re.escape(word.strip())}(?!\w)", re.IGNORECASE)


def contains_word(text: str, word: str) -> bool:
    return word_pattern(word).search(text) is not None


def apply_lexicon(text: str, entries: Mapping[str, LexiconEntry], phonemes: bool = False) -> str:
    """`text` with every entry's word replaced (a capital kept); longer words first, so "New
    York" wins over "York". With `phonemes`, an entry's phonemes are used as a raw-phoneme
    block where it has them."""
    for entry in _longest_first(entries.values()):
        spoken = _spoken(entry, phonemes)
        if spoken:
            text = word_pattern(entry.word).sub(lambda m, s=spoken: _cased(s, m.group()), text)
    return text


def _cased(spoken: str, written: str) -> str:
    """A respelling starts with a capital where the word did ("Nguyen" -> "Win"), so what
    reads a capital as a sentence or a name still does ("Mr. Win")."""
    if written[:1].isupper() and not spoken.startswith("[["):
        return spoken[:1].upper() + spoken[1:]
    return spoken


def _longest_first(entries: Iterable[LexiconEntry]) -> list[LexiconEntry]:
    return sorted(entries, key=lambda entry: (-len(entry.word), entry.word.lower()))


def _spoken(entry: LexiconEntry, phonemes: bool) -> str | None:
    if phonemes and entry.phonemes:
        return f"[[ {entry.phonemes.strip()} ]]"
    return entry.respelling.strip() if entry.respelling else None

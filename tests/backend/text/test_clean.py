"""Tests for backend/text/clean.py: what text is spoken, and what is refused before any engine."""

from __future__ import annotations

import pytest

from backend.core.errors import TextEmpty, TextTooLong
from backend.text.clean import clean_text


def test_text_is_nfc_normalised_and_loses_control_characters_but_keeps_newlines_and_tabs():
    decomposed = "Cafe\u0301\x00 au\tlait\nnow\x07"
    assert clean_text(decomposed, 100) == "Caf\u00e9 au\tlait\nnow"


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01"])
def test_empty_blank_or_control_only_text_raises_text_empty(text: str):
    with pytest.raises(TextEmpty):
        clean_text(text, 100)


def test_text_without_letters_or_digits_raises_text_empty_with_the_reason():
    with pytest.raises(TextEmpty, match="no letters or digits"):
        clean_text("😀 !! …", 100)


def test_text_over_the_limit_raises_text_too_long_naming_both_lengths():
    with pytest.raises(TextTooLong, match="11 characters; one request takes at most 10"):
        clean_text("eleven char", 10)


def test_the_limit_counts_the_cleaned_text_so_removed_controls_do_not_count():
    assert clean_text("ten chars!\x00\x00", 10) == "ten chars!"


def test_paralinguistic_tags_pass_through_cleaning_unchanged():
    text = "[laugh] Well, [clear throat] I never [Whispering] knew [sic]."
    assert clean_text(text, 100) == text
    assert clean_text("[sigh]", 100) == "[sigh]"  # a tag alone is text to speak, not empty

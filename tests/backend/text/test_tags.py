"""Tests for backend/text/tags.py: which brackets are tags, and the text without them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.text.tags import TAG, find_tags, strip_tags, tag_name, unknown_tags

TURBO_TAGS = ["laugh", "cough", "sigh", "clear throat", "whispering"]


def test_tags_are_found_in_order_as_written_with_repeats():
    text = "[Laugh] Well, [clear throat] I mean [laugh] it. [sigh]"
    assert find_tags(text) == ["[Laugh]", "[clear throat]", "[laugh]", "[sigh]"]


@pytest.mark.parametrize(
    "text",
    ["[laugh]", "[Clear throat]", "[clear-throat]", "[clear_throat]", "[rires]", "[sic]", "[смех]"],
)
def test_one_to_three_words_of_letters_in_brackets_are_a_tag(text: str):
    assert find_tags(f"So {text} then.") == [text]


@pytest.mark.parametrize(
    "text",
    [
        "[1]",
        "[12a]",
        "[Smith 2020]",
        "[ laugh ]",
        "[clear  throat]",
        "[one two three four]",
        "[Ed.: see below]",
        "[laugh!]",
        "[]",
        "[here](https://example.org)",
    ],
)
def test_footnotes_citations_notes_padded_brackets_and_link_texts_are_not_tags(text: str):
    assert find_tags(f"So {text} then.") == []
    assert strip_tags(f"So {text} then.") == (f"So {text} then.", [])


def test_a_tag_name_ignores_brackets_and_case():
    assert tag_name("[Clear Throat]") == tag_name("clear throat") == "clear throat"


def test_unknown_tags_compares_without_case_and_reports_each_once_in_order():
    text = "[Laugh] [sic] [laugh] [SIC] [cough] [Gasp] [sic]"
    assert unknown_tags(text, TURBO_TAGS) == ["[sic]", "[Gasp]"]


def test_known_tags_may_be_given_with_brackets():
    assert unknown_tags("[LAUGH] and [Whispering]", ["[laugh]", "[whispering]"]) == []


def test_unknown_tags_of_text_without_tags_is_empty():
    assert unknown_tags("Plain text [1].", TURBO_TAGS) == []


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("Hello [laugh] there.", "Hello there."),
        ("Hello [laugh].", "Hello."),
        ("Hello [laugh] [cough] , there", "Hello, there"),
        ("[sigh] Well then.", "Well then."),
        ("Well then. [sigh]", "Well then."),
        ("Hi[laugh]there", "Hi there"),
        ("x [laugh],[cough] y", "x, y"),
        ("(she said [whispering]) go", "(she said) go"),
        ("([whispering] quietly)", "(quietly)"),
        ('"[laugh] Hi," he said', '"Hi," he said'),
        ('"Hi [laugh]" he said', '"Hi" he said'),
        ('He said "no" [laugh] "yes"', 'He said "no" "yes"'),
        ("Vraiment ? [rires] Oui.", "Vraiment ? Oui."),
        ("one\n[cough]\ntwo", "one\ntwo"),
        ("[cough]\ntwo", "two"),
        ("one\n  [cough] [laugh] ", "one"),
        ("one [cough]\n\ntwo", "one\n\ntwo"),
        ("[laugh] [cough]", ""),
    ],
)
def test_strip_tags_tidies_only_where_the_tags_were(text: str, stripped: str):
    assert strip_tags(text)[0] == stripped


def test_strip_tags_returns_the_removed_tags_in_order():
    assert strip_tags("[Laugh] a [cough] b [laugh]") == ("a b", ["[Laugh]", "[cough]", "[laugh]"])


def test_strip_tags_keeps_the_tags_named_in_keep_and_removes_the_rest():
    keep = ["[laugh]", "sigh"]
    assert strip_tags("Hi [giggle] [Laugh].", keep=keep) == ("Hi [Laugh].", ["[giggle]"])
    assert strip_tags("[giggle] so [sigh]", keep=keep) == ("so [sigh]", ["[giggle]"])
    assert strip_tags("a\n[giggle] [laugh]\nb", keep=keep) == ("a\n[laugh]\nb", ["[giggle]"])
    assert strip_tags("x [laugh]  [sigh] y", keep=keep) == ("x [laugh]  [sigh] y", [])


def test_strip_tags_keeps_other_spacing_and_punctuation_as_written():
    text = "Où est mon manteau ?  Ici.\tLà [1]."
    assert strip_tags(text) == (text, [])


TAGGED = st.lists(
    st.one_of(
        st.sampled_from(["[laugh]", "[clear throat]", "[Sigh]"]),
        st.text(alphabet="ab1 .,\n[]()\"'", max_size=6),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TAGGED)
def test_strip_tags_removes_the_tags_and_changes_nothing_else_but_blanks(text: str):
    stripped, removed = strip_tags(text)
    assert removed == find_tags(text)  # (nested brackets may leave a new tag: "[a[laugh]]")
    untagged = TAG.sub("", text)
    assert "".join(stripped.split()) == "".join(untagged.split())
    if "  " not in untagged:
        assert "  " not in stripped  # a removed run of tags leaves one space at most

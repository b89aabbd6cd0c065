"""backend/cli/args.py: which output file and format each book gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.cli.args import parser, plan
from backend.cli.errors import NarrateError


def books_of(*argv: str):
    return [(b.source.name, str(b.out), b.fmt) for b in plan(parser().parse_args(list(argv)))]


@pytest.fixture
def shelf(clean_environment) -> Path:
    for name in ("one.epub", "two.epub", "notes.txt"):
        (clean_environment / name).write_text("x", encoding="utf-8")
    return clean_environment


def test_one_book_takes_its_format_from_out_unless_format_is_given(shelf):
    assert books_of("one.epub", "--out", "one.mp3") == [("one.epub", "one.mp3", "mp3")]
    assert books_of("one.epub", "--out", "x.m4b", "--format", "wav") == [
        ("one.epub", "x.m4b", "wav")
    ]


def test_without_out_or_format_an_m4b_goes_beside_the_book(shelf):
    assert books_of("one.epub") == [("one.epub", str(shelf / "one.m4b"), "m4b")]


def test_several_books_go_into_the_out_folder_each_once(shelf):
    got = books_of("one.epub", "two.epub", "one.epub", "--out", "audio", "--format", "mp3")
    assert got == [("one.epub", "audio/one.mp3", "mp3"), ("two.epub", "audio/two.mp3", "mp3")]


def test_a_pattern_the_shell_left_alone_is_expanded(shelf):
    assert [name for name, _, _ in books_of("*.epub")] == ["one.epub", "two.epub"]


def test_books_whose_outputs_would_collide_are_refused(shelf):
    (shelf / "sub").mkdir()
    (shelf / "sub" / "one.epub").write_text("y", encoding="utf-8")
    with pytest.raises(NarrateError, match="same output file"):
        books_of("one.epub", "sub/one.epub", "--out", "audio/")


def test_a_pattern_that_matches_nothing_is_a_missing_file(shelf):
    with pytest.raises(NarrateError, match=r"There is no file '\*\.mobi'"):
        books_of("*.mobi")

"""Tests for backend/jobs/pdf_layout.py: footnote numbers glued to words in the body's own font
are not read when the page has that footnote (generated PDFs, read in the extraction child)."""

from __future__ import annotations

import pymupdf
import pytest

from backend.jobs.pdf import extract_pages
from backend.jobs.pdf_layout import strip_glued_markers

BODY = (
    "The laws of inheritance were first described by Mendel.3 His work on peas,4 long "
    "ignored, was found again around 1900. An MP3 of the lecture and vitamin B12 are sold."
)


def pdf(body: str, footnotes: list[str]) -> bytes:
    """One A4 page: `body` at the top, each footnote at the foot, all in one 11 pt font."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    assert page.insert_textbox(pymupdf.Rect(72, 100, 523, 400), body, fontsize=11) >= 0
    for n, note in enumerate(footnotes):
        y = 720 + 24 * n
        assert page.insert_textbox(pymupdf.Rect(72, y, 523, y + 24), note, fontsize=11) >= 0
    return doc.tobytes()


def body_text(data: bytes) -> str:
    [page] = list(extract_pages(data))
    return page.blocks[0].text


def test_numbers_glued_to_words_are_dropped_when_the_page_has_those_footnotes() -> None:
    data = pdf(BODY, ["3 Mendel, G. (1866). Versuche über Pflanzen-Hybriden.", "4 Ibid."])
    assert body_text(data) == (
        "The laws of inheritance were first described by Mendel. His work on peas, long "
        "ignored, was found again around 1900. An MP3 of the lecture and vitamin B12 are sold."
    )


def test_a_number_whose_footnote_is_not_on_the_page_stays() -> None:
    data = pdf(BODY, ["4 Ibid."])
    text = body_text(data)
    assert "Mendel.3 His" in text
    assert "peas, long" in text


def test_a_page_without_footnotes_keeps_its_text_as_written() -> None:
    assert body_text(pdf(BODY, [])) == BODY


@pytest.mark.parametrize(
    ("text", "notes", "expected"),
    [
        ("described by Mendel.3 His work", {3}, "described by Mendel. His work"),
        ("as Darwin wrote12 and", {12}, "as Darwin wrote and"),
        ("the cells,7 then", {7}, "the cells, then"),
        ("(see Smith)2 again", {2}, "(see Smith) again"),
        ("an MP3 player", {3}, "an MP3 player"),
        ("in section 2.3 we", {3}, "in section 2.3 we"),
        ("described by Mendel.3 His work", {4}, "described by Mendel.3 His work"),
        ("Mendel.3", set(), "Mendel.3"),
        ("CO2 levels", {2}, "CO2 levels"),
    ],
)
def test_glued_markers_table(text: str, notes: set[int], expected: str) -> None:
    assert strip_glued_markers(text, notes) == expected

"""backend.jobs.book_cover through the reader child (backend.jobs.pdf.cover_image): an EPUB's
and an FB2's own cover image, a PDF's first page drawn, and nothing for a book without one."""

from __future__ import annotations

import pymupdf

from backend.jobs.book_cover import embedded_cover
from backend.jobs.pdf import cover_image
from tests.helpers import books
from tests.helpers.pdfs import text_pdf


def test_an_epubs_cover_image_comes_back_byte_for_byte() -> None:
    assert cover_image(books.make_epub(), "epub") == (books.cover_png(), "png")


def test_an_fb2s_cover_binary_comes_back_decoded() -> None:
    assert cover_image(books.make_fb2(), "fb2") == (books.cover_png(), "png")


def test_a_pdfs_cover_is_its_first_page_drawn_as_png() -> None:
    image, suffix = cover_image(text_pdf(pages=2), "pdf")
    assert suffix == "png"
    picture = pymupdf.Pixmap(image)
    assert picture.width > 100 and picture.height > picture.width  # a portrait page


def test_books_without_a_cover_have_none() -> None:
    assert cover_image(books.make_epub(cover=None), "epub") is None
    assert cover_image(books.make_docx(), "docx") is None
    assert embedded_cover(books.corrupt_zip(), "epub") is None

"""backend.jobs.formats: the kind of an upload, told from its bytes."""

from __future__ import annotations

import pytest

from backend.core.errors import DocumentUnreadable, DocumentUnsupported
from backend.jobs.formats import FORMATS, detect_format
from tests.helpers import books
from tests.helpers.pdfs import text_pdf

BOOKS = {
    "pdf": text_pdf,
    "epub": books.make_epub,
    "mobi": books.make_mobi,
    "fb2": books.make_fb2,
    "docx": books.make_docx,
    "html": books.make_html,
}


@pytest.mark.parametrize("fmt", sorted(BOOKS))
def test_each_format_is_told_from_its_bytes_whatever_its_name(fmt) -> None:
    assert detect_format(BOOKS[fmt](), "upload.bin") == fmt
    assert detect_format(BOOKS[fmt](), None) == fmt


def test_text_is_markdown_or_html_by_its_name_and_plain_text_otherwise() -> None:
    text = books.make_markdown()
    assert detect_format(text, "book.md") == "md"
    assert detect_format(text, "book.markdown") == "md"
    assert detect_format(text, "notes/book.txt") == "txt"
    assert detect_format(text, "book") == "txt"
    assert detect_format(b"<p>Hello</p>", "page.htm") == "html"


def test_legacy_encoded_text_is_still_text() -> None:
    assert (
        detect_format("Caf\u00e9 au lait, s'il vous pla\u00eet.".encode("cp1252"), "a.txt") == "txt"
    )


def test_an_image_is_refused_with_every_accepted_kind_named() -> None:
    with pytest.raises(DocumentUnsupported) as caught:
        detect_format(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "photo.png")
    assert caught.value.status_code == 415
    for name in ("PDF", "EPUB", "MOBI", "FB2", "DOCX", "Markdown", "HTML", "plain text"):
        assert name in caught.value.message


def test_a_zip_that_is_no_book_is_refused_as_unsupported() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photos/one.jpg", b"not really")
    with pytest.raises(DocumentUnsupported, match="neither an EPUB nor a DOCX"):
        detect_format(out.getvalue(), "holiday.zip")


def test_a_corrupt_zip_and_an_empty_file_are_unreadable() -> None:
    with pytest.raises(DocumentUnreadable, match="damaged"):
        detect_format(books.corrupt_zip(), "book.epub")
    with pytest.raises(DocumentUnreadable, match="empty"):
        detect_format(b"", "book.epub")


def test_text_named_as_a_binary_format_is_unreadable_not_read_as_text() -> None:
    with pytest.raises(DocumentUnreadable, match=r"'book\.pdf' is not a PDF file"):
        detect_format(b"hello world", "book.pdf")


def test_every_format_has_a_builder_or_a_test_here() -> None:
    assert set(FORMATS) == set(BOOKS) | {"md", "txt"}

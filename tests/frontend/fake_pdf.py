"""Documents read the way the server reads them: their kind (the server's own detection), a PDF's
password, the page range, the text of each page, a book's title and author."""

from __future__ import annotations

from typing import Any

import pymupdf

from backend.core.errors import AppError
from backend.jobs import book_open, pdf_child
from backend.jobs.formats import detect_format
from tests.frontend import server_errors

PREVIEW_PAGES = 3


def open_document(
    filename: str, data: bytes, password: str | None
) -> tuple[pymupdf.Document, dict[str, Any]]:
    """The document and {"source_format", "title", "author"}, or the server's error."""
    try:
        fmt = detect_format(data, filename)
        if fmt == "pdf":
            return open_pdf(data, password), {"source_format": "pdf", "title": None, "author": None}
        doc = book_open.open_book(data, None, fmt)
        title, author = book_open.metadata(doc, data, fmt)
    except AppError as error:
        raise server_errors.from_app_error(error) from None
    return doc, {"source_format": fmt, "title": title, "author": author}


def open_pdf(data: bytes, password: str | None) -> pymupdf.Document:
    if b"%PDF" not in data[:1024]:
        raise server_errors.document_unreadable()
    doc = pymupdf.open(stream=data, filetype="pdf")
    if doc.needs_pass and not (password and doc.authenticate(password)):
        raise server_errors.document_encrypted(password_given=bool(password))
    return doc


def page_range(spec: str | None, page_count: int) -> list[int]:
    """Pages of "1-3,5" (1-based); a page outside the document is the server's 422."""
    if not spec or not spec.strip():
        return list(range(1, page_count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first, last = 0, -1
        if not 1 <= first <= last <= page_count:
            raise server_errors.invalid_request(
                f"'{part.strip()}' is not a page range of this document. "
                f"The document has {page_count} pages."
            )
        chosen.update(range(first, last + 1))
    return sorted(chosen)


def page_texts(doc: pymupdf.Document, selection: list[int]) -> list[tuple[int, str]]:
    return [(number, doc[number - 1].get_text().strip()) for number in selection]


def preview(filename: str, data: bytes, pages: str | None, password: str | None) -> dict[str, Any]:
    """POST /pdf/preview: the first selected pages' text."""
    opened, book = open_document(filename, data, password)
    with opened as doc:
        selection = page_range(pages, doc.page_count)
        shown = page_texts(doc, selection[:PREVIEW_PAGES])
        return {
            "filename": filename.rsplit("/", 1)[-1],
            **book,
            "page_count": doc.page_count,
            "selected_pages": len(selection),
            "encrypted": bool(doc.needs_pass),
            "chapters": [
                {"title": title, "page": number}
                for number, title in pdf_child.chapter_entries(pdf_child.outline(doc))
                if number in selection
            ],
            "pages": [{"number": number, "text": text} for number, text in shown],
            "truncated": len(selection) > len(shown),
        }

"""PDFs read the way the server reads them: password, page range, text of each page."""

from __future__ import annotations

from typing import Any

import pymupdf

from tests.frontend import server_errors

PREVIEW_PAGES = 3


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
    with open_pdf(data, password) as doc:
        selection = page_range(pages, doc.page_count)
        shown = page_texts(doc, selection[:PREVIEW_PAGES])
        return {
            "filename": filename.rsplit("/", 1)[-1],
            "page_count": doc.page_count,
            "selected_pages": len(selection),
            "encrypted": bool(doc.needs_pass),
            "chapters": [],
            "pages": [{"number": number, "text": text} for number, text in shown],
            "truncated": len(selection) > len(shown),
        }

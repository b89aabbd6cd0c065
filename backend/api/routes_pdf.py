"""POST /pdf/preview: the text a narration job would read from a document's (a PDF's, an EPUB's,
...) first selected pages, with the book's title, author and chapters."""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep
from backend.api.schemas_pdf import PdfPreview
from backend.core.errors import DocumentNoText
from backend.jobs.formats import detect_format
from backend.jobs.pdf import Page, PdfLimits, extract_pages, open_info, parse_page_range
from backend.jobs.pdf_child import chapter_entries

router = APIRouter(prefix="/pdf", tags=["pdf"])

PREVIEW_PAGES = 3


@router.post("/preview", response_model=PdfPreview)
async def preview_pdf(
    settings: SettingsDep,
    file: UploadFile = File(
        ..., description="A document: PDF, EPUB, MOBI, FB2, DOCX, .md, .html or .txt"
    ),
    pages: str | None = Form(None, max_length=200, description='e.g. "1-10,12"'),
    password: str | None = Form(None, max_length=200),
) -> dict[str, Any]:
    """Read the first few selected pages the way POST /jobs would, with the same errors.

    Nothing is stored. The text is read in the same limited child process as a job's, from the
    whole selection (so running heads are found as a job finds them), and the child is stopped
    once the preview's pages have arrived.
    """
    data = await file.read()
    fmt = detect_format(data, file.filename)
    info = await run_in_threadpool(open_info, data, password, None, fmt)
    selection = parse_page_range(pages, info["page_count"])
    limits = PdfLimits(
        max_pages=settings.max_pdf_pages,
        max_chars=settings.max_job_chars,
        timeout_seconds=settings.first_page_timeout_seconds,  # a preview is a few pages at most
        first_page_timeout=settings.first_page_timeout_seconds,
    )
    previewed = await run_in_threadpool(_first_pages, data, password, pages, limits, fmt)
    truncated = len(selection) > len(previewed)
    if not any(page.blocks for page in previewed):
        raise _no_text(len(previewed)) if truncated else DocumentNoText()
    chosen = set(selection)
    chapters = [{"title": t, "page": n} for n, t in chapter_entries(info["outline"]) if n in chosen]
    return {
        "filename": (file.filename or f"document.{fmt}").rsplit("/", 1)[-1],
        "source_format": fmt,
        "title": info["title"],
        "author": info["author"],
        "page_count": info["page_count"],
        "selected_pages": len(selection),
        "encrypted": info["encrypted"],
        "chapters": chapters,
        "pages": [{"number": page.number, "text": page_text(page)} for page in previewed],
        "truncated": truncated,
    }


def page_text(page: Page) -> str:
    """The words a job narrates for this page, one paragraph (block) per blank-line gap."""
    return "\n\n".join(block.text for block in page.blocks)


def _first_pages(
    data: bytes, password: str | None, pages: str | None, limits: PdfLimits, fmt: str
) -> list[Page]:
    with contextlib.closing(extract_pages(data, password, pages, limits, fmt)) as stream:
        return list(itertools.islice(stream, PREVIEW_PAGES))  # closing stops the child


def _no_text(previewed: int) -> DocumentNoText:
    return DocumentNoText(
        f"The first {previewed} selected pages have no text layer (they look scanned or made of "
        "images).",
        solution="If the text starts later, choose a page range that starts there; otherwise run "
        "OCR on the PDF first (for example ocrmypdf), or paste the text instead of the PDF.",
    )

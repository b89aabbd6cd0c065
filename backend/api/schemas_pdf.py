"""POST /pdf/preview's answer: what a narration job would read from a document's first pages."""

from __future__ import annotations

from pydantic import Field

from backend.api.schemas import ResponseBody
from backend.api.schemas_jobs import Chapter


class PreviewPage(ResponseBody):
    number: int = Field(description="The page's number in the document (1 is the first).")
    text: str = Field(description="The words a job narrates, one paragraph per blank line.")


class PdfPreview(ResponseBody):
    filename: str
    source_format: str = Field(
        "pdf", description="pdf, epub, mobi, fb2, docx, md, html or txt (told from its bytes)."
    )
    title: str | None = Field(None, description="From the book's metadata, where it has one.")
    author: str | None = Field(None, description="From the book's metadata, where it has one.")
    page_count: int = Field(
        description="Pages in the document (a reflowable book: pages as MuPDF lays it out)."
    )
    selected_pages: int = Field(description="Pages the range selects.")
    encrypted: bool
    chapters: list[Chapter] = Field(description="Chapters starting on a selected page.")
    pages: list[PreviewPage] = Field(description="The first few selected pages.")
    truncated: bool = Field(description="More pages are selected than previewed.")

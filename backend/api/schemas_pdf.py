"""POST /pdf/preview's answer: what a narration job would read from a PDF's first pages."""

from __future__ import annotations

from pydantic import Field

from backend.api.schemas import ResponseBody
from backend.api.schemas_jobs import Chapter


class PreviewPage(ResponseBody):
    number: int = Field(description="The page's number in the document (1 is the first).")
    text: str = Field(description="The words a job narrates, one paragraph per blank line.")


class PdfPreview(ResponseBody):
    filename: str
    page_count: int = Field(description="Pages in the document.")
    selected_pages: int = Field(description="Pages the range selects.")
    encrypted: bool
    chapters: list[Chapter] = Field(description="Chapters starting on a selected page.")
    pages: list[PreviewPage] = Field(description="The first few selected pages.")
    truncated: bool = Field(description="More pages are selected than previewed.")

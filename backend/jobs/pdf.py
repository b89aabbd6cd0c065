"""Document input for jobs (a PDF, or any format of backend.jobs.formats): page ranges, a quick
open check with the book's metadata, page text streamed from a child process, region previews
and covers. Reflowable books (EPUB, DOCX, ...) are laid out into pages by MuPDF in the child.

Nothing here opens a PDF in the server process: MuPDF runs only in spawned children
(pdf_child), under a deadline, a CPU-time and a memory limit, so a hostile PDF that hangs or
crashes MuPDF cannot take the server down. A text extraction has a child of its own; opening,
decrypting and drawing go to the reader children of pdf_pool. Children send plain JSON (never
pickles). The cleaning itself (reading order, running heads, footnote markers) lives in
pdf_layout.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from backend.core.errors import DocumentUnreadable, InvalidRequest
from backend.jobs import pdf_child, pdf_pool
from backend.jobs.page_range import parse_page_range as parse_page_range
from backend.jobs.pdf_child import chapter_starts as chapter_starts

logger = logging.getLogger(__name__)

_SLOW_SOLUTION = pdf_pool.SLOW_SOLUTION


@dataclass(frozen=True)
class Block:
    """One paragraph-ish text block, in reading order. `bbox` is in PDF points on its page as
    displayed (rotation applied, origin top left): the space render_region takes."""

    text: str
    bbox: tuple[float, float, float, float]
    chapter: str | None = None  # the title of the chapter it is in, where the child knows it


@dataclass(frozen=True)
class Page:
    """One page's clean text. `number` is 1-based; `chapter` is the title of an outline entry
    starting on this page, else None. An empty page has no blocks."""

    number: int
    blocks: list[Block]
    chapter: str | None


@dataclass(frozen=True)
class PdfLimits:
    """Limits of one extraction: page and character counts of the selection, and seconds the
    caller may wait for the child in all (`timeout_seconds`) and for the first page.

    Before the first page, the child counts the selection's raw characters for at most
    `count_seconds` (about half a millisecond a page), so a small PDF that expands to millions
    of characters is refused at once rather than after its first pages were narrated.

    `memory_mb` caps the child's address space (None: the server's CHATTERBOX_PDF_MEMORY_MB).
    Opening, decrypting and drawing one page get `first_page_timeout` seconds each."""

    max_pages: int = 2000
    max_chars: int = 2_000_000
    timeout_seconds: float = 120.0
    first_page_timeout: float = 20.0
    count_seconds: float = 3.0
    memory_mb: int | None = None

    def child(self) -> pdf_pool.ChildLimits:
        """The limits of one reader request."""
        memory = self.memory_mb or pdf_pool.defaults().memory_mb
        return pdf_pool.ChildLimits(memory, self.first_page_timeout)


def open_info(
    data: bytes, password: str | None = None, limits: PdfLimits | None = None, fmt: str = "pdf"
) -> dict:
    """{"page_count", "encrypted", "outline": [(level, title, page)], "format", "title",
    "author"} without reading any text (title and author from the book's metadata, or None).
    Raises DocumentEncrypted / DocumentUnreadable like extract_pages."""
    answer, _ = _ask({"op": "info"}, data, password, limits, _opening(fmt), fmt)
    outline = [(level, title, page) for level, title, page in answer["outline"]]
    return {
        "page_count": answer["page_count"],
        "encrypted": answer["encrypted"],
        "outline": outline,
        "format": fmt,
        "title": answer["title"],
        "author": answer["author"],
    }


def cover_image(
    data: bytes, fmt: str = "pdf", limits: PdfLimits | None = None
) -> tuple[bytes, str] | None:
    """(image bytes, suffix) of the book's cover: an EPUB's or FB2's own image, a PDF's first
    page drawn as PNG; None for a book without one. Raises like render_region."""
    answer, blob = _ask({"op": "cover"}, data, None, limits, "making the cover", fmt)
    return (blob, answer["suffix"]) if answer["suffix"] else None


def _opening(fmt: str) -> str:
    return "opening the PDF" if fmt == "pdf" else f"opening the {fmt.upper()} book"


def decrypted(data: bytes, password: str, limits: PdfLimits | None = None) -> bytes:
    """The same PDF without its password, so a job never has to keep the password."""
    return _ask({"op": "decrypt"}, data, password, limits, "removing the PDF's password")[1]


def render_region(
    data: bytes,
    password: str | None,
    page_number: int,
    bbox: tuple[float, float, float, float] | None,
    zoom: float = 1.5,
    max_pixels: int = 2_000_000,
    limits: PdfLimits | None = None,
) -> bytes:
    """PNG of `bbox` (PDF points, plus a small margin, clipped to the page; the whole page if
    None) on 1-based `page_number`, scaled by `zoom` but to no more than `max_pixels`.

    A page that takes longer than the limits' `first_page_timeout` or more memory than their
    `memory_mb` raises DocumentUnreadable saying so, and so does a reader that dies; a page that did
    that once raises the same error at once the next time."""
    if zoom <= 0 or max_pixels < 1:
        raise InvalidRequest("zoom must be above 0 and max_pixels at least 1.")
    request = {
        "op": "render",
        "page": page_number,
        "bbox": list(bbox) if bbox is not None else None,
        "zoom": zoom,
        "max_pixels": max_pixels,
    }
    return _ask(request, data, password, limits, f"drawing page {page_number} of the PDF")[1]


def _ask(
    request: dict,
    data: bytes,
    password: str | None,
    limits: PdfLimits | None,
    doing: str,
    fmt: str = "pdf",
) -> tuple[dict, bytes]:
    if not data:
        raise DocumentUnreadable("The file is empty.")
    child = (limits or PdfLimits(first_page_timeout=pdf_pool.defaults().timeout_seconds)).child()
    return pdf_pool.POOL.call({**request, "format": fmt}, data, password, child, doing)


def extract_pages(
    data: bytes,
    password: str | None = None,
    pages: str | None = None,
    limits: PdfLimits = PdfLimits(),
    fmt: str = "pdf",
) -> Iterator[Page]:
    """Yield the selected pages' clean text as soon as the child has read each one (`fmt`: one
    of backend.jobs.formats.FORMATS; a reflowable book's pages are MuPDF's layout of it).

    Raises (from the generator) DocumentEncrypted, DocumentUnreadable (broken file, child crash,
    or more than the limits' seconds spent waiting), InvalidRequest (bad range),
    DocumentTooLarge (too many pages in the selection; too many characters, after the pages
    before it were yielded) and
    DocumentNoText (after the last page, when no page had any text). The time counted against the
    limits is time spent waiting for the child, not time the caller spends between pages.
    Closing the generator early stops the child.
    """
    memory_mb = limits.child().memory_mb
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    args = (writer, data, password, pages, limits, memory_mb, fmt)
    target = pdf_child.extract_main
    child = context.Process(target=target, args=args, name="pdf-extract", daemon=True)
    try:
        child.start()
    finally:
        writer.close()  # the child holds the only writer, so its death reads as EOF here
    waited, first = 0.0, True
    try:
        while True:
            limit, what = limits.timeout_seconds, "the PDF"
            if first and limits.first_page_timeout < limit:
                limit, what = limits.first_page_timeout, "the first page of the PDF"
            started = time.monotonic()
            message = _receive(reader, child, max(limit - waited, 0.0))
            waited += time.monotonic() - started
            if message is None:
                logger.warning("PDF extraction stopped after waiting %.1f s", waited)
                raise DocumentUnreadable(
                    f"Reading {what} took longer than {limit:g} seconds, so it was stopped.",
                    solution=_SLOW_SOLUTION,
                )
            if message["kind"] == "done":
                return
            if message["kind"] == "error":
                raise pdf_pool.app_error(message, "reading the PDF", memory_mb)
            first = False
            yield Page(
                number=message["number"],
                blocks=[Block(text, tuple(bbox), ch) for text, bbox, ch in message["blocks"]],
                chapter=message["chapter"],
            )
    finally:
        reader.close()
        pdf_pool.stop(child)


def _receive(reader: Connection, child: BaseProcess, timeout: float) -> dict | None:
    """The child's next message; None when none came within `timeout` seconds."""
    if not reader.poll(timeout):
        return None
    try:
        return json.loads(reader.recv_bytes(pdf_pool.MAX_MESSAGE_BYTES))
    except (EOFError, OSError):
        child.join(5)
        logger.warning("PDF extraction child ended unexpectedly (exit code %s)", child.exitcode)
        raise pdf_pool.failure(child.exitcode, "reading the PDF") from None

"""PDF input for jobs: page ranges, a quick open check, page text streamed from a child process,
and region previews.

Text extraction runs in a spawned child so that a hostile PDF that hangs or crashes MuPDF cannot
take the server down; the child sends plain JSON (never pickles) and the parent enforces limits.
The cleaning itself (reading order, running heads, footnote markers) lives in pdf_layout.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import pymupdf

from backend.core.errors import (
    AppError,
    InvalidRequest,
    PdfEncrypted,
    PdfNoText,
    PdfTooLarge,
    PdfUnreadable,
)
from backend.jobs import pdf_layout

logger = logging.getLogger(__name__)

_MAX_MESSAGE_BYTES = 256 * 1024 * 1024
_SLOW_SOLUTION = (
    "The file may be damaged or unusually complex: save or print it to PDF again, "
    "or choose a smaller page range."
)


@dataclass(frozen=True)
class Block:
    """One paragraph-ish text block, in reading order. `bbox` is in PDF points on its page as
    displayed (rotation applied, origin top left): the space render_region takes."""

    text: str
    bbox: tuple[float, float, float, float]


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
    of characters is refused at once rather than after its first pages were narrated."""

    max_pages: int = 2000
    max_chars: int = 2_000_000
    timeout_seconds: float = 120.0
    first_page_timeout: float = 20.0
    count_seconds: float = 3.0


def parse_page_range(spec: str | None, page_count: int) -> list[int]:
    """Pages selected by "1-3,5,9-" (1-based, ascending, no duplicates); None or "" is all."""
    if spec is None or not spec.strip():
        return list(range(1, page_count + 1))
    where = f"The document has {page_count} page{'s' if page_count != 1 else ''}."
    chosen: set[int] = set()
    for raw in re.sub("[\u2013\u2014]", "-", spec).split(","):
        part = raw.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d*)\s*(-?)\s*(\d*)", part)
        if not match or not (match[1] or match[3]) or (match[1] and match[3] and not match[2]):
            raise InvalidRequest(
                f"The page range {spec!r} is not valid: {part!r} is neither a page number nor "
                f"a range like 3-7. {where}",
                solution="Write pages like 1-3,5,9- (9- means page 9 to the end).",
            )
        first = int(match[1]) if match[1] else 1
        last = int(match[3]) if match[3] else (page_count if match[2] else first)
        if first > last:
            raise InvalidRequest(f"The page range {part!r} runs backwards. {where}")
        if first < 1 or last > page_count:
            raise InvalidRequest(
                f"The page range {part!r} is outside the document (pages are numbered from 1). "
                f"{where}"
            )
        chosen.update(range(first, last + 1))
    if not chosen:
        raise InvalidRequest(f"The page range {spec!r} selects no pages. {where}")
    return sorted(chosen)


def open_info(data: bytes, password: str | None = None) -> dict:
    """{"page_count", "encrypted", "outline": [(level, title, page)]} without reading any text.
    Raises PdfEncrypted / PdfUnreadable like extract_pages."""
    with _open(data, password) as doc:
        return {
            "page_count": doc.page_count,
            "encrypted": bool(doc.needs_pass),
            "outline": _outline(doc),
        }


def decrypted(data: bytes, password: str) -> bytes:
    """The same PDF without its password, so a job never has to keep the password."""
    with _open(data, password) as doc:
        return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_NONE)


def render_region(
    data: bytes,
    password: str | None,
    page_number: int,
    bbox: tuple[float, float, float, float] | None,
    zoom: float = 1.5,
    max_pixels: int = 2_000_000,
) -> bytes:
    """PNG of `bbox` (PDF points, plus a small margin, clipped to the page; the whole page if
    None) on 1-based `page_number`, scaled by `zoom` but to no more than `max_pixels`."""
    if zoom <= 0 or max_pixels < 1:
        raise InvalidRequest("zoom must be above 0 and max_pixels at least 1.")
    with _open(data, password) as doc:
        if not 1 <= page_number <= doc.page_count:
            raise InvalidRequest(
                f"Page {page_number} is outside the document, which has {doc.page_count} pages."
            )
        page = doc[page_number - 1]
        area = pymupdf.Rect(page.rect)
        if bbox is not None:
            margin = 6.0
            x0, y0, x1, y1 = bbox
            area &= pymupdf.Rect(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
        if area.is_empty:
            raise InvalidRequest(f"The region {bbox} lies outside page {page_number}.")
        scale = min(zoom, math.sqrt(max_pixels / (area.width * area.height)))
        while (area.width * scale + 2) * (area.height * scale + 2) > max_pixels and scale > 0.01:
            scale *= 0.95  # a pixmap can be up to 2 pixels wider and taller than the clip
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), clip=area, alpha=False)
        return pixmap.tobytes("png")


def extract_pages(
    data: bytes,
    password: str | None = None,
    pages: str | None = None,
    limits: PdfLimits = PdfLimits(),
) -> Iterator[Page]:
    """Yield the selected pages' clean text as soon as the child has read each one.

    Raises (from the generator) PdfEncrypted, PdfUnreadable (broken file, child crash, or more
    than the limits' seconds spent waiting), InvalidRequest (bad range), PdfTooLarge (too many
    pages in the selection; too many characters, after the pages before it were yielded) and
    PdfNoText (after the last page, when no page had any text). The time counted against the
    limits is time spent waiting for the child, not time the caller spends between pages.
    Closing the generator early stops the child.
    """
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    args = (writer, data, password, pages, limits)
    child = context.Process(target=_child_main, args=args, name="pdf-extract", daemon=True)
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
                raise PdfUnreadable(
                    f"Reading {what} took longer than {limit:g} seconds, so it was stopped.",
                    solution=_SLOW_SOLUTION,
                )
            if message["kind"] == "done":
                return
            if message["kind"] == "error":
                error = _ERRORS.get(message["code"], PdfUnreadable)
                raise error(message["message"], message["solution"])
            first = False
            yield Page(
                number=message["number"],
                blocks=[Block(text, tuple(bbox)) for text, bbox in message["blocks"]],
                chapter=message["chapter"],
            )
    finally:
        reader.close()
        _stop(child)


_ERRORS: dict[str, type[AppError]] = {
    cls.code: cls for cls in (PdfEncrypted, PdfNoText, PdfTooLarge, PdfUnreadable, InvalidRequest)
}


def _receive(reader: Connection, child: BaseProcess, timeout: float) -> dict | None:
    """The child's next message; None when none came within `timeout` seconds."""
    if not reader.poll(timeout):
        return None
    try:
        return json.loads(reader.recv_bytes(_MAX_MESSAGE_BYTES))
    except (EOFError, OSError):
        child.join(5)
        code = child.exitcode
        if hasattr(signal, "SIGXCPU") and code == -signal.SIGXCPU:  # over _limit_cpu
            raise PdfUnreadable(
                "Reading the PDF used too much processor time, so it was stopped.",
                solution=_SLOW_SOLUTION,
            ) from None
        logger.warning("PDF extraction child ended unexpectedly (exit code %s)", code)
        raise PdfUnreadable(
            f"The PDF reader stopped unexpectedly (exit code {code}) while reading this file."
        ) from None


def _stop(child: BaseProcess) -> None:
    if child.is_alive():
        child.terminate()
        child.join(2)
    if child.is_alive():
        child.kill()
    child.join(2)
    if child.exitcode is not None:
        child.close()


def _child_main(
    conn: Connection, data: bytes, password: str | None, pages: str | None, limits: PdfLimits
) -> None:
    """Entry point of the extraction child: every message is one JSON object on `conn`."""
    _limit_cpu(limits.timeout_seconds)
    pymupdf.TOOLS.mupdf_display_errors(False)  # the parent reports what matters
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        for message in _extract(data, password, pages, limits):
            conn.send_bytes(json.dumps(message).encode())
        conn.send_bytes(b'{"kind": "done"}')
    except (BrokenPipeError, EOFError):
        return  # the parent stopped listening
    except Exception as exc:
        if not isinstance(exc, AppError):
            exc = PdfUnreadable(f"The PDF could not be read ({type(exc).__name__}: {exc}).")
        error = {"code": exc.code, "message": exc.message, "solution": exc.solution}
        conn.send_bytes(json.dumps({"kind": "error", **error}).encode())
    finally:
        conn.close()


def _limit_cpu(seconds: float) -> None:
    """A CPU-time ceiling the kernel enforces (POSIX only), even while the parent is busy."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(seconds) + 5
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _extract(
    data: bytes, password: str | None, pages: str | None, limits: PdfLimits
) -> Iterator[dict]:
    """The child's work: page messages in order; raises AppErrors."""
    with _open(data, password) as doc:
        selection = parse_page_range(pages, doc.page_count)
        if len(selection) > limits.max_pages:
            raise PdfTooLarge(
                f"The selection has {len(selection)} pages (the document has "
                f"{doc.page_count}); the limit is {limits.max_pages} pages per job."
            )
        _count_chars(doc, selection, limits)
        outline = _outline(doc)
        chapters = chapter_starts(outline)
        titles = {pdf_layout.title_key(title) for _, title, _ in outline} - {""}
        total = 0
        for number, blocks in pdf_layout.clean_pages(doc, selection, titles):
            total += sum(len(text) for text, _ in blocks)
            if total > limits.max_chars:
                raise PdfTooLarge(
                    f"The selection has more than {limits.max_chars} characters of text "
                    f"(reached on page {number})."
                )
            chapter = chapters.get(number)
            yield {"kind": "page", "number": number, "blocks": blocks, "chapter": chapter}
        if total == 0:
            raise PdfNoText()


def _count_chars(doc: pymupdf.Document, selection: list[int], limits: PdfLimits) -> None:
    """PdfTooLarge when the selection's raw text is over the limit. The count stops quietly
    after `count_seconds`; the page-by-page check in _extract still holds after that."""
    deadline = time.monotonic() + limits.count_seconds
    total = 0
    for number in selection:
        total += len(doc[number - 1].get_text("text"))
        if total > limits.max_chars:
            raise PdfTooLarge(
                f"The selection has more than {limits.max_chars} characters of text "
                f"(reached on page {number} of {doc.page_count})."
            )
        if time.monotonic() > deadline:
            logger.info(
                "Character count stopped at page %d after %.1f s", number, limits.count_seconds
            )
            return


def chapter_starts(outline: list[tuple[int, str, int]]) -> dict[int, str]:
    """Page number -> title of the chapter starting there, from open_info's "outline": the first
    entry of level 1-2 on that page, else its first entry of any level."""
    chapters: dict[int, str] = {}
    for _, title, number in sorted(outline, key=lambda entry: entry[0] > 2):
        chapters.setdefault(number, title)
    return chapters


def _outline(doc: pymupdf.Document) -> list[tuple[int, str, int]]:
    try:
        toc = doc.get_toc(simple=True)
    except (RuntimeError, ValueError):
        return []
    return [
        (level, pdf_layout.normalise(title), page)
        for level, title, page in toc
        if 1 <= page <= doc.page_count
    ]


def _open(data: bytes, password: str | None) -> pymupdf.Document:
    """The authenticated document with at least one page, or PdfUnreadable / PdfEncrypted."""
    if not data:
        raise PdfUnreadable("The file is empty.")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError) as exc:
        raise PdfUnreadable(f"The file could not be read as a PDF ({exc}).") from exc
    if doc.needs_pass:
        if not password:
            doc.close()
            raise PdfEncrypted("The PDF is protected by a password, and none was given.")
        if not doc.authenticate(password):
            doc.close()
            raise PdfEncrypted(
                "The PDF is protected by a password, and the password given is not correct.",
                solution="Check the PDF's password (it is case-sensitive) and start again.",
            )
    if doc.page_count == 0:
        doc.close()
        raise PdfUnreadable("The PDF has no pages; the file is probably damaged.")
    return doc

"""The document reader child process: the only code that opens a PDF (or any other document a
job reads, see book_open) with MuPDF, under CPU and memory limits the kernel enforces.
Messages to the parent are JSON (never pickles), plus raw bytes.

`extract_main` streams one extraction's pages; `serve_main` answers open, decrypt, render and
cover requests for as long as the parent keeps it (pdf_pool), keeping the last document open.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import pymupdf

from backend.core.errors import (
    AppError,
    DocumentNoText,
    DocumentTooLarge,
    DocumentUnreadable,
    InvalidRequest,
)
from backend.jobs import book_cover, book_open, pdf_layout
from backend.jobs.page_range import parse_page_range

if TYPE_CHECKING:
    from backend.jobs.pdf import PdfLimits

MEMORY_ERROR = "memory"  # the code an allocation failure is reported with; the parent words it
_MEMORY_WORDS = ("insufficient memory", "out of memory", "malloc", "cannot allocate")


def extract_main(
    conn: Connection,
    data: bytes,
    password: str | None,
    pages: str | None,
    limits: PdfLimits,
    memory_mb: int,
    fmt: str = "pdf",
) -> None:
    """Entry point of an extraction child: every message is one JSON object on `conn`."""
    _start(limits.timeout_seconds, memory_mb)
    try:
        for message in _extract(data, password, pages, limits, fmt):
            conn.send_bytes(json.dumps(message).encode())
        conn.send_bytes(b'{"kind": "done"}')
    except (BrokenPipeError, EOFError):
        return  # the parent stopped listening
    except Exception as exc:
        conn.send_bytes(json.dumps(error_message(exc)).encode())
    finally:
        conn.close()


def serve_main(conn: Connection, memory_mb: int, idle_seconds: float) -> None:
    """Entry point of a reader child: answer requests until the parent closes the pipe or none
    comes for `idle_seconds`. A request is a JSON header, then the PDF's bytes when the header
    says `with_data` (else the document of the previous request is reused); an answer is a JSON
    header, then raw bytes when it says `blob`."""
    _start(None, memory_mb)
    held: _Held | None = None
    try:
        while conn.poll(idle_seconds):
            request = json.loads(conn.recv_bytes())
            _limit_cpu(request["cpu_seconds"])
            try:
                if request["with_data"]:
                    if held is not None:
                        held.doc.close()
                    held = None
                    data = conn.recv_bytes()
                    fmt = request.get("format", "pdf")
                    doc = open_document(data, request["password"], fmt)
                    held = _Held(request["key"], data, doc, fmt)
                if held is None or held.key != request["key"]:
                    raise DocumentUnreadable(
                        "The PDF reader lost track of the document; try again."
                    )
                answer, blob = _answer(held, request)
            except Exception as exc:
                answer, blob = error_message(exc), None
            conn.send_bytes(json.dumps({**answer, "blob": blob is not None}).encode())
            if blob is not None:
                conn.send_bytes(blob)
    except (BrokenPipeError, EOFError, OSError):
        return  # the parent is gone
    finally:
        if held is not None:
            held.doc.close()
        conn.close()


@dataclass
class _Held:
    """The document of the last request, kept open for the next one (the same job's images)."""

    key: str
    data: bytes
    doc: pymupdf.Document
    fmt: str = "pdf"


def error_message(exc: BaseException) -> dict[str, Any]:
    """The JSON message for an error raised while reading a PDF."""
    if isinstance(exc, MemoryError) or any(words in str(exc).lower() for words in _MEMORY_WORDS):
        return {"kind": "error", "code": MEMORY_ERROR, "message": str(exc), "solution": ""}
    if not isinstance(exc, AppError):
        exc = DocumentUnreadable(f"The document could not be read ({type(exc).__name__}: {exc}).")
    return {"kind": "error", "code": exc.code, "message": exc.message, "solution": exc.solution}


def _answer(held: _Held, request: dict[str, Any]) -> tuple[dict, bytes | None]:
    op, doc = request["op"], held.doc
    if op == "info":
        info = {"page_count": doc.page_count, "encrypted": bool(doc.needs_pass)}
        title, author = book_open.metadata(doc, held.data, held.fmt)
        book = {"format": held.fmt, "title": title, "author": author}
        return {"kind": "ok", **info, **book, "outline": outline(doc)}, None
    if op == "cover":
        if held.fmt == "pdf":
            return {"kind": "ok", "suffix": "png"}, _render(doc, 1, None, 1.0, 1_500_000)
        found = book_cover.embedded_cover(held.data, held.fmt)
        if found is None:
            return {"kind": "ok", "suffix": None}, None
        return {"kind": "ok", "suffix": found[1]}, found[0]
    if op == "decrypt":
        # A fresh copy: once needs_pass was read, PyMuPDF 1.28 writes undecryptable streams.
        with open_document(held.data, request["password"]) as fresh:
            return {"kind": "ok"}, fresh.tobytes(encryption=pymupdf.PDF_ENCRYPT_NONE)
    if op == "render":
        bbox = tuple(request["bbox"]) if request["bbox"] is not None else None
        png = _render(doc, request["page"], bbox, request["zoom"], request["max_pixels"])
        return {"kind": "ok"}, png
    raise ValueError(f"unknown request {op!r}")


def _render(
    doc: pymupdf.Document,
    page_number: int,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
    max_pixels: int,
) -> bytes:
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
    pymupdf.TOOLS.reset_mupdf_warnings()
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), clip=area, alpha=False)
    # MuPDF draws on when an image cannot be allocated and only warns: a picture with a hole
    # where the image should be is a failed render, and the memory limit is its reason.
    warnings = pymupdf.TOOLS.mupdf_warnings()
    if any(words in warnings.lower() for words in _MEMORY_WORDS):
        raise MemoryError(warnings.splitlines()[0])
    return pixmap.tobytes("png")


def _start(cpu_seconds: float | None, memory_mb: int) -> None:
    pymupdf.TOOLS.mupdf_display_errors(False)  # the parent reports what matters
    pymupdf.TOOLS.mupdf_display_warnings(False)
    _limit_memory(memory_mb)
    if cpu_seconds is not None:
        _limit_cpu(cpu_seconds)


def _limit_cpu(seconds: float) -> None:
    """A CPU-time ceiling the kernel enforces (POSIX only), even while the parent is busy: the
    time already used plus `seconds`, so a long-lived reader gets the same budget per request."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 5
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _limit_memory(megabytes: int) -> None:
    """An address-space (and data) ceiling: past it an allocation fails inside MuPDF, which
    reports it, instead of the machine swapping or the OOM killer choosing a victim."""
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        with contextlib.suppress(ImportError, ValueError, OSError, AttributeError):
            import resource

            limit = getattr(resource, name)
            _, hard = resource.getrlimit(limit)
            soft = megabytes * 1024 * 1024
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(limit, (soft, hard))


def _extract(
    data: bytes, password: str | None, pages: str | None, limits: PdfLimits, fmt: str = "pdf"
) -> Iterator[dict]:
    """The extraction's work: page messages in order; raises AppErrors. Each block carries the
    title of the chapter it is in (see block_chapters), so a scene never has to guess."""
    with open_document(data, password, fmt) as doc:
        selection = parse_page_range(pages, doc.page_count)
        if len(selection) > limits.max_pages:
            raise DocumentTooLarge(
                f"The selection has {len(selection)} pages (the document has "
                f"{doc.page_count}); the limit is {limits.max_pages} pages per job."
            )
        _count_chars(doc, selection, limits)
        entries = outline(doc)
        starts = chapter_starts(entries)
        titles = {pdf_layout.title_key(title) for _, title, _ in entries} - {""}
        chapters = chapter_entries(entries)
        current = next((t for n, t in reversed(chapters) if n < selection[0]), None)
        total = 0
        # A reflowable book has no running heads: MuPDF laid out its pages without any.
        clean = pdf_layout.clean_pages(doc, selection, titles, edges=fmt == "pdf")
        for number, blocks in clean:
            total += sum(len(text) for text, _ in blocks)
            if total > limits.max_chars:
                raise DocumentTooLarge(
                    f"The selection has more than {limits.max_chars} characters of text "
                    f"(reached on page {number})."
                )
            starting = [title for n, title in chapters if n == number]
            marked, current = block_chapters(blocks, starting, current)
            chapter = starts.get(number)
            yield {"kind": "page", "number": number, "blocks": marked, "chapter": chapter}
        if total == 0:
            raise DocumentNoText()


def block_chapters(
    blocks: list[tuple[str, tuple]], starting: list[str], current: str | None
) -> tuple[list[list], str | None]:
    """[text, bbox, chapter] per block, and the chapter the page ends in.

    A chapter starting on the page starts at the block that reads its title (several can start
    on one page, as in a short HTML book); when no block reads any of them (a PDF whose
    heading is set differently from its outline), the first starts at the top of the page."""
    keys = [pdf_layout.title_key(title) for title in starting]
    matched = any(pdf_layout.title_key(text) in keys for text, _ in blocks)
    pending = list(zip(keys, starting, strict=True))
    if pending and not matched:
        current, pending = starting[0], []
    marked = []
    for text, bbox in blocks:
        key = pdf_layout.title_key(text)
        found = next((i for i, (k, _) in enumerate(pending) if k and k == key), None)
        if found is not None:
            current, pending = pending[found][1], pending[found + 1 :]
        marked.append([text, list(bbox), current])
    return marked, current


def _count_chars(doc: pymupdf.Document, selection: list[int], limits: PdfLimits) -> None:
    """DocumentTooLarge when the selection's raw text is over the limit. The count stops quietly
    after `count_seconds`; the page-by-page check in _extract still holds after that."""
    deadline = time.monotonic() + limits.count_seconds
    total = 0
    for number in selection:
        total += len(doc[number - 1].get_text("text"))
        if total > limits.max_chars:
            raise DocumentTooLarge(
                f"The selection has more than {limits.max_chars} characters of text "
                f"(reached on page {number} of {doc.page_count})."
            )
        if time.monotonic() > deadline:
            return


def chapter_entries(outline: list[tuple[int, str, int]]) -> list[tuple[int, str]]:
    """(page, title) of every chapter in reading order: the outline's entries of level 1-2 (all
    of them when it has none of those levels)."""
    top = [(page, title) for level, title, page in outline if level <= 2 and title]
    return top or [(page, title) for _, title, page in outline if title]


def chapter_starts(outline: list[tuple[int, str, int]]) -> dict[int, str]:
    """Page number -> title of the chapter starting there, from open_info's "outline": the first
    entry of level 1-2 on that page, else its first entry of any level."""
    chapters: dict[int, str] = {}
    for _, title, number in sorted(outline, key=lambda entry: entry[0] > 2):
        chapters.setdefault(number, title)
    return chapters


def outline(doc: pymupdf.Document) -> list[tuple[int, str, int]]:
    try:
        toc = doc.get_toc(simple=True)
    except (RuntimeError, ValueError):
        return []
    return [
        (level, pdf_layout.normalise(title), page)
        for level, title, page in toc
        if 1 <= page <= doc.page_count
    ]


def open_document(data: bytes, password: str | None, fmt: str = "pdf") -> pymupdf.Document:
    """The authenticated document with at least one page, or DocumentUnreadable /
    DocumentEncrypted (a password PDF, a DRM'd e-book): see book_open.open_book."""
    return book_open.open_book(data, password, fmt)

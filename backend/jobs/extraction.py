"""Extractor: one thread per document job reads its pages (in the isolated child of
backend.jobs.pdf) and stores each page's scenes as it arrives, so scene 1 can be spoken after
the first page.

Every way an extraction ends is recorded through the store's transitions: completed, failed
with a reason (including a source file that is missing or unreadable, or a crash of our own),
or paused back to pending when a cancel or shutdown stops it between pages, to resume later.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from backend.core.errors import AppError, DocumentTooLarge, DocumentUnreadable, JobSourceMissing
from backend.core.settings import Settings
from backend.jobs.pdf import Page, PdfLimits, extract_pages
from backend.jobs.scenes import scenes_from_page
from backend.jobs.store import JobStore

log = logging.getLogger(__name__)

# (data, password, pages, limits, fmt=...) -> pages, like extract_pages
PageSource = Callable[..., Iterator[Page]]


class _Stopped(Exception):
    """Extraction stopped because the server is stopping or the job was cancelled."""


class Extractor:
    """Owns the extraction threads. Thread-safe. `on_change()` is called after each stored page
    and when an extraction ends; `max_chars()` gives the scene length of the engine now."""

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        max_chars: Callable[[], int],
        stopping: threading.Event,
        on_change: Callable[[], None],
        pages: PageSource = extract_pages,
    ):
        self.store = store
        self.settings = settings
        self.max_chars = max_chars
        self.stopping = stopping
        self.on_change = on_change
        self.pages = pages
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def running(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._threads

    def start(self, job_id: str) -> None:
        """Extract the job after its last stored page, unless a thread already does."""
        with self._lock:
            if job_id in self._threads or self.stopping.is_set():
                return
            thread = threading.Thread(
                target=self._run, args=(job_id,), name=f"extract-{job_id[:8]}", daemon=True
            )
            self._threads[job_id] = thread
            thread.start()

    def join(self, timeout: float) -> None:
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    def _run(self, job_id: str) -> None:
        again = False
        try:
            self._extract(job_id)
        except _Stopped:
            with contextlib.suppress(Exception):  # deleted, or the store closed at shutdown
                self.store.pause_extraction(job_id)
        except AppError as exc:
            self._fail(job_id, exc)
        except Exception as exc:  # the store, the disk or our own code failed: never unsettled
            log.exception("Extraction of job %s failed", job_id)
            self._fail(job_id, DocumentUnreadable(f"Reading the document failed: {str(exc)[:200]}"))
        finally:
            with self._lock:
                self._threads.pop(job_id, None)
                # A retry that came while this thread was stopping found it still running;
                # this thread starts the extraction the retry asked for.
                with contextlib.suppress(Exception):
                    again = self._wanted(job_id)
            self.on_change()
        if again:
            self.start(job_id)

    def _wanted(self, job_id: str) -> bool:
        if self.stopping.is_set():
            return False
        try:
            job = self.store.get_job(job_id, scenes=False)
        except AppError:
            return False
        return job["status"] in ("pending", "processing") and job["extraction_status"] == "pending"

    def _extract(self, job_id: str) -> None:
        job = self.store.get_job(job_id, scenes=False)
        if job["extraction_status"] != "pending":
            return
        data = _source_bytes(job)
        done = self.store.pages_done(job_id)
        limits = PdfLimits(
            max_pages=self.settings.max_pdf_pages,
            max_chars=self.settings.max_job_chars,
            timeout_seconds=self.settings.pdf_timeout_seconds,
            first_page_timeout=self.settings.first_page_timeout_seconds,
        )
        self.store.set_extraction(job_id, "processing")
        chapters: list[dict[str, Any]] = list(job.get("chapters") or [])
        fmt = job.get("source_format") or "pdf"
        with contextlib.closing(self.pages(data, None, job["pages"], limits, fmt=fmt)) as pages:
            count = self._store_pages(job_id, pages, done, chapters)
        self.store.set_chapters(job_id, chapters)
        self.store.set_extraction(job_id, "completed", total_pages=count)

    def _store_pages(
        self, job_id: str, pages: Iterator[Page], done: int, chapters: list[dict[str, Any]]
    ) -> int:
        """Store each page's scenes as it arrives; returns how many pages were read."""
        count = 0
        for page in pages:
            count += 1
            if self.stopping.is_set() or self._cancelled(job_id):
                raise _Stopped()
            _note_chapters(page, chapters)  # resumed pages too: the list is stored at the end
            if page.number <= done:  # resumed: this page's scenes are already stored
                continue
            scenes = scenes_from_page(page, self.max_chars())
            if scenes:
                self.store.add_scenes(job_id, scenes)
                self.on_change()
        return count

    def _cancelled(self, job_id: str) -> bool:
        try:
            return self.store.get_job(job_id, scenes=False)["status"] == "cancelled"
        except AppError:
            return True  # deleted

    def _fail(self, job_id: str, exc: AppError) -> None:
        try:
            if isinstance(exc, DocumentTooLarge | JobSourceMissing):
                # Past a limit the job is refused, not narrated up to it: the limits bound the
                # work one upload can cause. Without its source nothing more can be read.
                self.store.fail_job(job_id, exc.code, exc.message, exc.solution)
            else:  # a damaged later page still lets the pages before it play
                self.store.set_extraction(
                    job_id, "failed", None, exc.code, exc.message, exc.solution
                )
        except Exception as again:  # deleted meanwhile, or the store closed at shutdown
            log.warning("Could not record the end of job %s's extraction: %s", job_id, again)


def _note_chapters(page: Page, chapters: list[dict[str, Any]]) -> None:
    """Add the chapters starting on `page` ({title, page}, in reading order) to `chapters`,
    each once: a block whose chapter differs from the one before, or the page's chapter."""
    titles = [block.chapter for block in page.blocks if block.chapter] or [page.chapter]
    known = {(c["title"], c["page"]) for c in chapters}
    last = chapters[-1]["title"] if chapters else None
    for title in titles:
        if title and title != last and (title, page.number) not in known:
            chapters.append({"title": title, "page": page.number})
            known.add((title, page.number))
        last = title or last


def _source_bytes(job: dict[str, Any]) -> bytes:
    """The job's document; JobSourceMissing when its row never got a file or the file is gone."""
    if not job["source_path"]:
        raise JobSourceMissing("The server stopped before the uploaded document was saved.")
    try:
        return Path(job["source_path"]).read_bytes()
    except OSError as exc:
        raise JobSourceMissing(
            f"The job's document could not be read ({exc.strerror or exc.__class__.__name__})."
        ) from None

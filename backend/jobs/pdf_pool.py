"""The server's PDF reader children: open, decrypt and render requests run in one of them (see
pdf_child.serve_main), under a deadline and a memory limit; one that hangs or dies is replaced.

A reader lives across requests (spawning one costs about half a second; drawing a scene's image
takes tens of milliseconds) and keeps the last document open, so a job's scene images cost one
spawn and one open in all. It exits on its own after IDLE_SECONDS without a request, and when the
server's end of its pipe closes (the server stopped or died).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import signal
import threading
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from backend.core.errors import (
    AppError,
    DocumentEncrypted,
    DocumentNoText,
    DocumentTooLarge,
    DocumentUnreadable,
    InvalidRequest,
)
from backend.jobs import pdf_child

log = logging.getLogger(__name__)

IDLE_SECONDS = 60.0
MAX_READERS = 4  # at once; a fifth request waits for one (its deadline counts the wait)
MAX_IDLE = 2
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
SLOW_SOLUTION = (
    "The file may be damaged or unusually complex: save or print it to PDF again, "
    "or choose a smaller page range."
)
ERRORS: dict[str, type[AppError]] = {
    cls.code: cls
    for cls in (
        DocumentEncrypted,
        DocumentNoText,
        DocumentTooLarge,
        DocumentUnreadable,
        InvalidRequest,
    )
}


@dataclass(frozen=True)
class ChildLimits:
    """What every PDF child may use: memory (MB of address space) and seconds per request."""

    memory_mb: int = 1536
    timeout_seconds: float = 20.0


_defaults = ChildLimits()


def configure(memory_mb: int, timeout_seconds: float) -> None:
    """The server's limits (CHATTERBOX_PDF_MEMORY_MB, first_page_timeout_seconds), set once at
    start-up; calls that pass no limits of their own use them."""
    global _defaults
    _defaults = ChildLimits(memory_mb, timeout_seconds)


def defaults() -> ChildLimits:
    return _defaults


def failure(exitcode: int | None, doing: str) -> DocumentUnreadable:
    """The error for a child that ended while `doing` ("reading the PDF", "drawing page 3")."""
    if hasattr(signal, "SIGXCPU") and exitcode == -signal.SIGXCPU:  # over _limit_cpu
        return DocumentUnreadable(
            f"{_sentence(doing)} used too much processor time, so it was stopped.",
            solution=SLOW_SOLUTION,
        )
    if exitcode == -signal.SIGKILL:
        return DocumentUnreadable(
            f"The PDF reader stopped unexpectedly (it was killed, exit code {exitcode}) while "
            f"{doing}; the system may have run out of memory.",
            solution=SLOW_SOLUTION,
        )
    return DocumentUnreadable(
        f"The PDF reader stopped unexpectedly (exit code {exitcode}) while {doing}.",
        solution=SLOW_SOLUTION,
    )


def _sentence(doing: str) -> str:
    return doing[:1].upper() + doing[1:]


def app_error(message: dict[str, Any], doing: str, memory_mb: int) -> AppError:
    """The AppError for a child's error message."""
    if message["code"] == pdf_child.MEMORY_ERROR:
        return DocumentUnreadable(
            f"{_sentence(doing)} needed more than the {memory_mb} MB of memory the PDF reader "
            "may use, so it was stopped.",
            solution="The page may hold an enormous image; save or print it to PDF again. If the "
            "PDF is genuine, raise CHATTERBOX_PDF_MEMORY_MB.",
        )
    return ERRORS.get(message["code"], DocumentUnreadable)(message["message"], message["solution"])


def stop(child: BaseProcess) -> None:
    """Stop a child for good and reap it."""
    if child.is_alive():
        child.terminate()
        child.join(2)
    if child.is_alive():
        child.kill()
    child.join(2)
    if child.exitcode is not None:
        child.close()


class _Ended(Exception):
    """The reader ended before answering; `exitcode` 0 means it had left on being idle."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode


class _TimedOut(Exception):
    """No answer within the deadline (not TimeoutError: that is an OSError, a dead pipe's)."""


class _Reader:
    """One reader child and the document it holds. Used by one thread at a time."""

    def __init__(self, memory_mb: int):
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe(duplex=True)
        self.memory_mb = memory_mb
        self.key: str | None = None
        self.process = context.Process(
            target=pdf_child.serve_main,
            args=(theirs, memory_mb, IDLE_SECONDS),
            name="pdf-reader",
            daemon=True,
        )
        try:
            self.process.start()
        finally:
            theirs.close()  # the child holds the only other end: its death reads as EOF here

    def ask(self, request: dict, key: str, data: bytes, timeout: float) -> tuple[dict, bytes]:
        """The child's answer and bytes; _TimedOut after `timeout` seconds, _Ended if it died."""
        with_data = self.key != key
        self.key = None  # unknown until the child answers
        try:
            self.conn.send_bytes(
                json.dumps({**request, "key": key, "with_data": with_data}).encode()
            )
            if with_data:
                self.conn.send_bytes(data)
            if not self.conn.poll(timeout):
                raise _TimedOut
            answer = json.loads(self.conn.recv_bytes(MAX_MESSAGE_BYTES))
            blob = self.conn.recv_bytes(MAX_MESSAGE_BYTES) if answer["blob"] else b""
        except (EOFError, OSError):
            self.process.join(5)
            raise _Ended(self.process.exitcode) from None
        self.key = key if answer["kind"] == "ok" or not with_data else None
        return answer, blob

    def close(self) -> None:
        self.conn.close()
        stop(self.process)


class ReaderPool:
    """Reader children shared by every thread of the server. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Reader] = []
        self._slots = threading.BoundedSemaphore(MAX_READERS)
        # Pages that hung or crashed a reader, by document: their next scenes fail at once.
        self._broken: OrderedDict[tuple[str, int, ChildLimits], AppError] = OrderedDict()

    def call(
        self, request: dict, data: bytes, password: str | None, limits: ChildLimits, doing: str
    ) -> tuple[dict, bytes]:
        """Run `request` on the document `data` in a reader: (answer, bytes), or the AppError."""
        digest = hashlib.sha256(data)
        digest.update(b"\0" + (password or "").encode())
        key = digest.hexdigest()
        page = (key, request.get("page", 0), limits)
        with self._lock:
            if page in self._broken:
                raise self._broken[page]
        request = {**request, "password": password, "cpu_seconds": limits.timeout_seconds}
        if not self._slots.acquire(timeout=limits.timeout_seconds):
            raise DocumentUnreadable(
                f"Every PDF reader was busy for {limits.timeout_seconds:g} seconds.",
                solution="Try again in a moment.",
            )
        try:
            for attempt in (1, 2):
                reader = self._take(key, limits.memory_mb)
                try:
                    answer, blob = reader.ask(request, key, data, limits.timeout_seconds)
                except _TimedOut:
                    reader.close()
                    error = DocumentUnreadable(
                        f"{_sentence(doing)} took longer than {limits.timeout_seconds:g} "
                        "seconds, so it was stopped.",
                        solution=SLOW_SOLUTION,
                    )
                    raise self._remember(page, error) from None
                except _Ended as ended:
                    reader.close()
                    if ended.exitcode == 0 and attempt == 1:
                        continue  # it had just left on being idle: ask a fresh one
                    log.warning("PDF reader ended (exit code %s) while %s", ended.exitcode, doing)
                    error = failure(ended.exitcode, doing)
                    raise self._remember(page, error) from None
                if answer.get("code") == pdf_child.MEMORY_ERROR:
                    reader.close()  # MuPDF keeps what it could not draw: start clean
                    raise self._remember(page, app_error(answer, doing, limits.memory_mb))
                self._give_back(reader)
                if answer["kind"] == "error":
                    raise app_error(answer, doing, limits.memory_mb)
                return answer, blob
            raise AssertionError("unreachable")
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop the idle readers (a busy one is stopped by the thread using it)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for reader in idle:
            reader.close()

    def _take(self, key: str, memory_mb: int) -> _Reader:
        with self._lock:
            usable = [r for r in self._idle if r.memory_mb == memory_mb and r.process.is_alive()]
            for reader in [r for r in self._idle if r not in usable]:
                self._idle.remove(reader)
                reader.close()
            if usable:
                reader = next((r for r in usable if r.key == key), usable[-1])
                self._idle.remove(reader)
                return reader
        try:
            return _Reader(memory_mb)
        except OSError as exc:  # no process could be started: out of memory or process slots
            raise DocumentUnreadable(
                f"The PDF reader could not be started ({exc}).",
                solution="The server is short of memory or processes; try again in a moment.",
            ) from exc

    def _give_back(self, reader: _Reader) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(reader)
                return
        reader.close()

    def _remember(self, page: tuple[str, int, ChildLimits], error: AppError) -> AppError:
        with self._lock:
            self._broken[page] = error
            while len(self._broken) > 256:
                self._broken.popitem(last=False)
        return error


POOL = ReaderPool()  # one per server process, like the children it owns

"""`python -m backend narrate` (and `chatterbox-narrate`): each book becomes a job on the
server, all sent up front; their progress is shown until each is downloaded to its output.

Only HTTP reaches the server (backend.cli.client); a server is started for the run where none
answers (backend.cli.server). Every failure ends as its message and solution on stderr and a
non-zero exit status, never a traceback; the saved files are printed on stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.cli.args import Book, parser, plan
from backend.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, NarrateError
from backend.cli.interrupts import INTERRUPTS
from backend.cli.progress import Bars, say
from backend.cli.resume import ResumeState, book_key
from backend.cli.server import Reached, reach
from backend.core.constants import read_environment, server_url

POLL = 0.5  # seconds between looks at the jobs
ENDED = ("completed", "failed", "cancelled")
OPTIONS = ("voice", "pages", "model", "language")  # the form fields that shape a narration


@dataclass
class Tracked:
    """A book with its job on the server."""

    book: Book
    key: str
    job: dict[str, Any]


def main(argv: list[str] | None = None) -> int:
    """Run `narrate` with `argv` (without the word narrate); the exit status."""
    args = parser().parse_args(argv)
    restore = INTERRUPTS.install()
    try:
        books = plan(args)
        config = read_environment(Path.cwd())
        url = (args.server or server_url(config)).rstrip("/")
        may_start = not args.server and not config.get("CHATTERBOX_URL", "").strip()
        token = config.get("CHATTERBOX_API_TOKEN", "").strip() or None
        with reach(url, token, may_start, say) as server:
            return Run(server, books, args).go()
    except NarrateError as error:
        say(error.lines())
        return error.status
    except KeyboardInterrupt:
        say("Stopped before any book was sent to the server; nothing was started.")
        return EXIT_INTERRUPTED
    finally:
        restore()


def run() -> None:
    """The console script `chatterbox-narrate`."""
    sys.exit(main(sys.argv[1:]))


class Run:
    """One run: send every book, then follow them until each is saved or has failed."""

    def __init__(self, server: Reached, books: list[Book], args: argparse.Namespace):
        self.server = server
        self.client = server.client
        self.books = books
        self.args = args
        self.options = {
            name: str(getattr(args, name)) for name in OPTIONS if getattr(args, name) is not None
        }
        self.failures = 0

    def go(self) -> int:
        try:
            for fmt in dict.fromkeys(book.fmt for book in self.books):
                self.client.check_format(fmt)
            tracked = [t for book in self.books if (t := self._send(book)) is not None]
            self._follow(tracked)
        except KeyboardInterrupt:
            raise self._interrupted() from None
        return EXIT_FAILED if self.failures else 0

    def _send(self, book: Book) -> Tracked | None:
        """The book's job: the one it has (retried if it failed or was cancelled), else new."""
        try:
            key = book_key(book.source, self.options)
            state = ResumeState(book.out.parent)
            known = None if self.args.new else state.job_for(key)
            job = self.client.job(known) if known else None
            name = book.source.name
            if job is None:
                form = {**self.options, **({"title": self.args.title} if self.args.title else {})}
                job = self.client.create_job(book.source, form)
                state.remember(key, job["id"], book.source)
                say(f"{name}: job {job['id']} sent.")
            elif job["status"] in ("failed", "cancelled"):
                ended = _ended(job)
                job = self.client.retry(job["id"])
                say(f"{name}: job {job['id']} had {ended}; retrying it.")
            else:
                progress = job["progress"]
                say(
                    f"{name}: resuming job {job['id']} "
                    f"({progress['completed']} of {progress['total']} scenes done)."
                )
        except NarrateError as error:
            self._failed(book, error)
            return None
        return Tracked(book, key, job)

    def _follow(self, tracked: list[Tracked]) -> None:
        bars = Bars()
        for item in tracked:
            bars.add(item.job)
        waiting = list(tracked)
        try:
            while waiting:
                for item in list(waiting):
                    if self._step(item, bars):
                        waiting.remove(item)
                if waiting:
                    time.sleep(POLL)
        finally:
            bars.close()

    def _step(self, item: Tracked, bars: Bars) -> bool:
        """Look at the job once; True when it is done with (saved or failed)."""
        try:
            job = self.client.job(item.job["id"])
            if job is None:
                ResumeState(item.book.out.parent).forget(item.key)
                raise NarrateError(
                    "job_not_found",
                    f"Job {item.job['id']} was deleted on the server.",
                    "Run the same command again to start a new one.",
                )
            bars.update(job)
            if job["status"] not in ENDED:
                return False
            if job["status"] != "completed":
                raise _job_error(job)
            self.client.download(job["id"], item.book.fmt, item.book.out)
        except NarrateError as error:
            self._failed(item.book, error)
            return True
        say(f"{item.book.source.name}: saved {item.book.out}")
        print(item.book.out, flush=True)
        return True

    def _failed(self, book: Book, error: NarrateError) -> None:
        if error.fatal:
            raise error
        self.failures += 1
        say(error.lines(book.source.name))

    def _interrupted(self) -> NarrateError:
        if self.server.child is not None:
            return NarrateError(
                "interrupted",
                "Stopped. The narration server this command started has stopped with it; "
                "its jobs keep every scene spoken so far.",
                "Run the same command again to resume them where they stopped.",
                status=EXIT_INTERRUPTED,
            )
        return NarrateError(
            "interrupted",
            f"Stopped watching. The jobs go on at {self.client.base_url}.",
            "Run the same command again to pick them up (and download them when done), or "
            "follow them in the studio.",
            status=EXIT_INTERRUPTED,
        )


def _job_error(job: dict[str, Any]) -> NarrateError:
    if job["status"] == "cancelled":
        return NarrateError(
            "job_cancelled",
            f"Job {job['id']} was cancelled on the server.",
            "Run the same command again to resume it.",
        )
    solution = (job.get("error_solution") or "").strip()
    again = "Running the same command again retries it."
    return NarrateError(
        job.get("error_code") or "job_failed",
        job.get("error_message") or f"Job {job['id']} failed.",
        f"{solution} {again}" if solution else again,
    )


def _ended(job: dict[str, Any]) -> str:
    return "been cancelled" if job.get("status") == "cancelled" else "failed"

"""One progress bar per book: scenes done of the scenes known so far, and the time left."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

from backend.cli.interrupts import INTERRUPTS

TITLE_WIDTH = 28
FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} scenes [{elapsed}<{remaining}]"


def say(text: str) -> None:
    """A line for the person at the terminal, printed above any bars (stderr)."""
    with INTERRUPTS.held():
        tqdm.write(text, file=sys.stderr)


class Bars:
    """The bars of a run, keyed by job id. The time left is the average pace of this run's
    scenes (not of any done before a resume) times the scenes still to speak; a PDF that is
    still being read grows its total as pages come."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._bars: dict[str, tqdm] = {}

    def add(self, job: dict[str, Any]) -> None:
        with INTERRUPTS.held():
            self._add(job)

    def update(self, job: dict[str, Any]) -> None:
        with INTERRUPTS.held():
            self._update(job)

    def close(self) -> None:
        with INTERRUPTS.held():
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()

    def _add(self, job: dict[str, Any]) -> None:
        progress = job["progress"]
        self._bars[job["id"]] = tqdm(
            total=progress["total"],
            initial=progress["completed"],
            desc=_title(job["title"]),
            unit="scene",
            bar_format=FORMAT,
            file=self.stream,
            position=len(self._bars),
            smoothing=0,
            dynamic_ncols=True,
            leave=True,
        )

    def _update(self, job: dict[str, Any]) -> None:
        bar = self._bars[job["id"]]
        progress = job["progress"]
        if progress["total"] != bar.total:
            bar.total = progress["total"]
            bar.refresh()
        if progress["completed"] > bar.n:
            bar.update(progress["completed"] - bar.n)


def _title(title: str) -> str:
    return title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1] + "…"

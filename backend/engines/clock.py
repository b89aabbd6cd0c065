"""The manager's clock: wall time and one-shot timers, injectable so tests fire them by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None:
        """Stop the timer; harmless after it fired or was cancelled."""


class Clock(Protocol):
    """Wall time in epoch seconds, and `call_later(delay, fn)` that runs fn once, on a thread of
    the clock's choosing, after `delay` seconds of this clock's time."""

    def time(self) -> float: ...

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer: ...


class SystemClock:
    """The real clock: time.time() and daemon threading.Timer threads."""

    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        timer = threading.Timer(delay, fn)
        timer.daemon = True  # an idle timer never keeps the process alive
        timer.start()
        return timer

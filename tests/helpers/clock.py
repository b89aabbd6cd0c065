"""A hand-driven Clock for the manager's timers: `advance(seconds)` fires what falls due."""

from __future__ import annotations

import threading
from collections.abc import Callable


class _Pending:
    def __init__(self, due: float, fn: Callable[[], None]):
        self.due, self.fn, self.cancelled = due, fn, False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time stands still until `advance`; due callbacks run in the advancing thread, in due
    order. Thread-safe: the manager arms and cancels timers from its own threads."""

    def __init__(self, start: float = 1_700_000_000.0):
        self._now = start
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def call_later(self, delay: float, fn: Callable[[], None]) -> _Pending:
        with self._lock:
            timer = _Pending(self._now + delay, fn)
            self._pending.append(timer)
            return timer

    def armed(self) -> int:
        """How many timers are waiting to fire (not cancelled)."""
        with self._lock:
            return sum(not timer.cancelled for timer in self._pending)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            due = sorted(
                (t for t in self._pending if t.due <= self._now and not t.cancelled),
                key=lambda t: t.due,
            )
            self._pending = [t for t in self._pending if t not in due and not t.cancelled]
        for timer in due:
            if not timer.cancelled:
                timer.fn()

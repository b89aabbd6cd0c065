"""Ctrl+C and SIGTERM for the command line: both stop the run as KeyboardInterrupt, but never
in the middle of a write to the terminal.

A KeyboardInterrupt raised inside tqdm's lock (while a line or a bar is being written) leaves
the lock half taken, and the RuntimeError that follows replaces the interrupt, so the run would
end with a traceback and status 1 instead of its "Stopped" message and 130. Inside `held()` a
signal is noted and raised as soon as the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """The run's signal handling; `install()` returns what puts the old handlers back."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending = False

    def install(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {number: signal.signal(number, self._handle) for number in HANDLED}

        def restore() -> None:
            for number, handler in previous.items():
                signal.signal(number, handler)

        return restore

    @contextmanager
    def held(self) -> Iterator[None]:
        """A block a signal does not cut into; one that came meanwhile is raised after it."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._pending:
                self._pending = False
                raise KeyboardInterrupt

    def _handle(self, number: int, frame: object) -> None:
        if self._depth:
            self._pending = True
            return
        raise KeyboardInterrupt


INTERRUPTS = Interrupts()

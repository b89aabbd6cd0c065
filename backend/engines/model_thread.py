"""The model thread: one thread that runs submitted calls in arrival order, and that can be
replaced when a call hangs, so the calls queued behind it still run.

Python cannot stop a thread. A hung call keeps its thread; `replace()` starts a fresh thread on
the same queue and the old one exits as soon as its call returns, never taking another.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Call(Future[T]):
    """A Future that also tells when its call began running on the model thread."""

    def __init__(self) -> None:
        super().__init__()
        self._began = threading.Event()
        self.overran = threading.Event()  # the manager's deadline stopped it (see submit)
        self.add_done_callback(lambda _: self._began.set())  # cancelled while queued: stop waiting

    def set_running_or_notify_cancel(self) -> bool:
        running = super().set_running_or_notify_cancel()
        if running:
            self._began.set()
        return running

    def wait_started(self, timeout: float | None = None) -> bool:
        """Block until the call runs (or is done without running); False if `timeout` passed."""
        return self._began.wait(timeout)


class ModelThread:
    """`submit`/`shutdown` as ThreadPoolExecutor(max_workers=1), plus `replace`. Thread-safe."""

    def __init__(self, name: str = "model"):
        self._name = name
        self._items: deque[tuple[Call, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._cond = threading.Condition()
        self._generation = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        with self._cond:
            self._start_locked()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Call:
        future: Call = Call()
        with self._cond:
            if self._closed:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._items.append((future, fn, args))
            self._cond.notify_all()
        return future

    def replace(self, first: Callable[[], Any] | None = None) -> None:
        """Hand the queue to a fresh thread, which runs `first` before anything queued; the
        current thread exits when its call returns."""
        with self._cond:
            if self._closed:
                return
            log.error("Model thread %s is stuck; starting a fresh one", self._thread.name)
            if first is not None:
                self._items.appendleft((Call(), first, ()))
            self._start_locked()
            self._cond.notify_all()

    def shutdown(
        self, wait: bool = True, cancel_futures: bool = False, timeout: float | None = None
    ) -> bool:
        """Stop taking calls; with `wait`, wait (at most `timeout` seconds) for the running one.
        True when the thread has ended (or was not waited for)."""
        with self._cond:
            self._closed = True
            if cancel_futures:
                while self._items:
                    self._items.popleft()[0].cancel()
            self._cond.notify_all()
            thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _start_locked(self) -> None:
        self._generation += 1
        self._thread = threading.Thread(
            target=self._loop,
            args=(self._generation,),
            name=f"{self._name}-{self._generation}",
            daemon=True,
        )
        self._thread.start()

    def _loop(self, generation: int) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closed and generation == self._generation:
                    self._cond.wait()
                if generation != self._generation or not self._items:
                    return  # replaced, or shut down with nothing left to run
                future, fn, args = self._items.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

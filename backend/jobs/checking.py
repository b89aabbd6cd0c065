"""SceneChecks: the Whisper check off the critical path. Takes wait here, in order, for one
thread to hear them while the synthesis thread goes on with the next scene.

What a take's scores mean (a passed scene, a re-take queued, a better take chosen) is the
narrator's business: this thread only hears and hands the result back. A take still queued when
the server stops is checked again at the next start (its scene stays 'checking' or 'retaking').
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.jobs.takes import Take, TakeJudge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckItem:
    """One stored take to hear: its scene, its number, and the text it should say."""

    job_id: str
    idx: int
    take: Take
    spoken: str


class SceneChecks:
    """One checking thread. Thread-safe: any thread may `submit`; `stop()` once at shutdown."""

    def __init__(
        self,
        judge: TakeJudge,
        settle: Callable[[CheckItem, Take], None],
        failed: Callable[[CheckItem, Exception], None],
    ):
        self.judge = judge
        self._settle = settle
        self._failed = failed
        self._items: queue.Queue[CheckItem | None] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0  # items submitted and not yet settled
        self._thread = threading.Thread(target=self._run, name="scene-checks", daemon=True)
        self._thread.start()
        self._stopping = threading.Event()
        self.busy_seconds = 0.0  # wall time spent hearing (bench/jobs.py reports its share)

    def submit(self, item: CheckItem) -> None:
        with self._idle:
            self._busy += 1
        self._items.put(item)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or being heard (at most `timeout` s); True if idle."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the take being heard; the queued ones are left to the next start."""
        self._stopping.set()
        self._items.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (item := self._items.get()) is not None:
            started = time.perf_counter()
            try:
                if self._stopping.is_set():
                    continue  # checked again at the next start
                heard = self.judge.hear(item.take, item.spoken)
                self.busy_seconds += time.perf_counter() - started
                self._settle(item, heard)
            except Exception as exc:  # a check is a nicety: the scene stays playable
                log.warning("The check of scene %s of job %s failed", item.idx, item.job_id)
                self._failed(item, exc)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()
        with self._idle:  # stopped: whatever is left waits for the next start
            self._busy = 0
            self._idle.notify_all()

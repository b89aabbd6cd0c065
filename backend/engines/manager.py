"""The model manager: the one owner of the engine, its lifecycle, and every call into it.

All model work runs on a single worker thread fed by a FIFO queue, so calls are serialised in
arrival order and never block the event loop. Keep-alive follows Ollama: below 0 stay resident,
0 unload after each request, N unload after N idle seconds (the timer runs only while nothing is
in flight). Any request made while unloaded loads the model first, transparently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from backend.core.errors import (
    AppError,
    EngineFault,
    ModelLoadFailed,
    ServerBusy,
    SynthesisFailed,
    SynthesisTimeout,
)
from backend.core.memory import release_memory
from backend.engines.base import Engine
from backend.engines.catalog import Catalog
from backend.engines.clock import Clock, SystemClock, Timer
from backend.engines.manager_report import ManagerReport
from backend.engines.model_state import ModelState
from backend.engines.model_switch import ModelSwitch
from backend.engines.model_thread import Call, ModelThread

log = logging.getLogger(__name__)
T = TypeVar("T")


CLOSE_GRACE_SECONDS = 30.0  # how long shutdown waits for a running call before killing the host


class ModelManager(ModelSwitch, ManagerReport):
    """Owns one engine at a time. Thread-safe; `run`/`call` may be used from any thread or
    coroutine.

    Given a Catalog, the manager can switch models: work that names a `model` other than the
    resident one switches first, on the model thread, so the work queued before it finishes on
    the old model (drain), then the old one unloads and the new one loads; with `switch` False
    such work fails with ModelNotLoaded (409) instead. One engine alone is a catalog of one.

    in_flight counts submitted work not yet finished (queued or running) plus open `hold()`s.
    `clock` times the keep-alive (wall time and its idle timer); tests pass a hand-driven one.
    """

    def __init__(
        self,
        engine: Engine | Catalog,
        keep_alive: float = -1,
        max_waiting: int | None = None,
        clock: Clock | None = None,
        switch: bool = True,
    ):
        self.catalog = engine if isinstance(engine, Catalog) else Catalog.single(engine)
        self.switch = switch
        self._model = self.catalog.default  # the key of the resident (or next to load) model
        self.engine = self.catalog.engine(self._model)
        # An engine host can be killed (backend.engines.host); an engine in this process cannot.
        self._kill: Callable[[str], None] | None = getattr(self.engine, "kill", None)
        self._switching: dict[str, Any] | None = None
        self._last_switch: dict[str, Any] | None = None
        self._switches = 0
        self.clock = clock or SystemClock()
        self.keep_alive = keep_alive
        self.max_waiting = max_waiting
        self._waiting = 0  # admitted requests not yet finished (see `admit`)
        self._recent_seconds: deque[float] = deque(maxlen=20)  # durations of recent model calls
        self._worker = ModelThread()
        self._lock = threading.Lock()  # guards the fields below, never held during model work
        self._state = ModelState.UNLOADED
        self._in_flight = 0
        self._generation = 0  # bumped by every new request: stale idle unloads see it and stop
        self._timer: Timer | None = None
        self._expires_at: float | None = None
        self._last_error: AppError | None = None
        self._closed = False

    # ---- public API -------------------------------------------------------------------------

    async def run(
        self, fn: Callable[[Engine], T], deadline: float | None = None, model: str | None = None
    ) -> T:
        """Run fn(engine) on the model thread, loading first if needed; await its result.
        `model` (a catalog key) switches to that model first (see the class docstring).

        With `deadline`, an engine host still inside fn that many seconds after fn began (the
        load does not count) is killed and SynthesisTimeout (504) is raised; the next call
        starts a fresh host. An engine inside this process cannot be stopped: no deadline.
        """
        future = self.submit(fn, deadline, model)
        try:
            return await asyncio.wrap_future(future)
        except EngineFault as exc:
            if future.overran.is_set():
                raise SynthesisTimeout(
                    f"Speaking this text took longer than {deadline:g} s, so the engine was "
                    "stopped; it starts afresh on the next request."
                ) from exc
            raise

    def call(
        self, fn: Callable[[Engine], T], timeout: float | None = None, model: str | None = None
    ) -> T:
        """Blocking form of `run`, for worker threads (never call it on the event loop).

        With `timeout`, a call still running `timeout` seconds after it started on the model
        thread is stopped and TimeoutError is raised; time spent queued behind other work does
        not count. An engine host (backend.engines.host) is killed, so the call ends at once
        and the next call starts a fresh host: two models never coexist. An engine inside this
        process cannot be stopped: the work queued behind it moves to a fresh model thread, the
        engine is unloaded (the next call loads it again), and the hung call keeps the old
        thread, counted in `in_flight`, until it returns, if it ever does.
        """
        if timeout is not None and self._kill is not None:
            hosted = self.submit(fn, deadline=timeout, model=model)
            try:
                return hosted.result()
            except EngineFault as exc:
                if hosted.overran.is_set():  # the deadline killed the host: not a crash
                    raise TimeoutError(f"the model call ran more than {timeout:g} s") from exc
                raise
        future = self.submit(fn, model=model)
        if timeout is None:
            return future.result()
        future.wait_started()  # the clock starts when the call does, not at submission
        finished = threading.Event()
        timer = self.clock.call_later(timeout, finished.set)
        future.add_done_callback(lambda _: finished.set())
        finished.wait()
        timer.cancel()
        if future.done():
            return future.result()
        # An engine in this process cannot be stopped: leave the hung call its thread.
        self._worker.replace(first=self._unload)  # then the next call loads afresh
        raise TimeoutError(f"the model call ran more than {timeout:g} s")

    def submit(
        self, fn: Callable[[Engine], T], deadline: float | None = None, model: str | None = None
    ) -> Call[T]:
        """Queue fn(engine); `deadline` (seconds from when fn begins) kills an engine host that
        is still inside it, and sets the call's `overran`. `model`: switch to it first."""
        self._acquire()
        overran = threading.Event()
        try:
            future = self._worker.submit(self._execute, fn, deadline, overran, model)
        except RuntimeError:  # worker shut down
            self._release()
            raise
        # Work cancelled while still queued (a client that left, a timed-out wait) never runs
        # _execute, which is what releases it otherwise.
        future.add_done_callback(lambda done: done.cancelled() and self._release())
        future.overran = overran
        return future

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """Admit one interactive request for the block, or raise ServerBusy (429) when
        `max_waiting` requests are already admitted. Retry-After estimates when a place frees:
        the admitted requests times the mean duration of recent model calls, at least 1 s."""
        with self._lock:
            if self.max_waiting is not None and self._waiting >= self.max_waiting:
                recent = self._recent_seconds
                mean = sum(recent) / len(recent) if recent else 1.0
                raise ServerBusy(
                    f"{self._waiting} requests are already waiting for the model "
                    f"(the most it queues is {self.max_waiting}).",
                    retry_after=max(1, math.ceil(self._waiting * mean)),
                )
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the model resident across several calls (e.g. the chunks of one request)."""
        self._acquire()
        try:
            yield
        finally:
            self._release()

    async def load(self) -> dict[str, Any]:
        await self.run(lambda engine: None)
        return self.status()

    async def unload(self) -> dict[str, Any]:
        """Unload after the work queued before this call has finished (drain); report memory."""
        with self._lock:
            self._cancel_timer()
        return await asyncio.wrap_future(self._worker.submit(self._unload))

    def start_background_import(self) -> None:
        """Import the engine's libraries on the model thread, ahead of any load; errors only log
        (the first load reports them to its caller)."""

        def import_runtime() -> None:
            try:
                self.engine.import_runtime()
            except Exception as exc:
                log.warning("Could not import the %s libraries: %s", self.engine.name, exc)

        with contextlib.suppress(RuntimeError):  # worker already shut down
            self._worker.submit(import_runtime)

    def start_background_load(self) -> None:
        """Start loading without blocking start-up; on failure the first request loads."""

        def on_done(future: Future[None]) -> None:
            if future.exception() is not None:
                log.warning(
                    "Start-up load failed; will retry on first request: %s", future.exception()
                )

        self.submit(lambda engine: None).add_done_callback(on_done)

    def close(self, grace: float = CLOSE_GRACE_SECONDS) -> None:
        """Drop queued work, let the running call finish, unload. An engine host whose call
        is still running after `grace` seconds is killed (Ctrl+C never waits for a hung
        model); an engine in this process is waited for."""
        with self._lock:
            self._closed = True
            self._cancel_timer()
        kill = self._kill
        # Queued work is dropped, running work finishes; then nothing else can touch the engine.
        if not self._worker.shutdown(
            wait=True, cancel_futures=True, timeout=grace if kill else None
        ):
            assert kill is not None  # only a wait with a timeout can end early
            kill(f"the server is stopping, and the call still ran after {grace:g} s")
            self._worker.shutdown(wait=True)
        self._unload()

    @property
    def state(self) -> ModelState:
        return self._state

    # ---- bookkeeping ------------------------------------------------------------------------

    def _acquire(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._generation += 1
            self._cancel_timer()

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight or self._closed or self.keep_alive < 0:
                return
            generation = self._generation
            if self.keep_alive == 0:
                self._worker.submit(self._unload_if_idle, generation)
                return
            self._expires_at = self.clock.time() + self.keep_alive
            self._timer = self.clock.call_later(
                self.keep_alive, lambda: self._on_idle_timeout(generation)
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._expires_at = None

    def _on_idle_timeout(self, generation: int) -> None:
        with contextlib.suppress(RuntimeError):  # worker already shut down
            self._worker.submit(self._unload_if_idle, generation)

    # ---- on the model thread ----------------------------------------------------------------

    def _execute(
        self,
        fn: Callable[[Engine], T],
        deadline: float | None,
        overran: threading.Event,
        model: str | None = None,
    ) -> T:
        started = time.perf_counter()
        try:
            self._ensure_model(model)
            self._ensure_loaded()
            with self._deadline(deadline, overran):
                return fn(self.engine)
        except EngineFault as exc:  # the host died under the call: the next call starts one
            self._set_state(ModelState.ERROR, exc)
            raise
        except AppError:
            raise
        except Exception as exc:
            log.exception("Engine call failed")
            raise SynthesisFailed(f"Speech synthesis failed: {_short(exc)}") from exc
        finally:
            self._recent_seconds.append(time.perf_counter() - started)
            self._release()

    @contextlib.contextmanager
    def _deadline(self, seconds: float | None, overran: threading.Event) -> Iterator[None]:
        """While the block runs: after `seconds`, kill the engine host (the block then fails
        with EngineFault at once) and set `overran`. Nothing for an engine in this process."""
        kill = self._kill
        if seconds is None or kill is None:
            yield
            return
        guard, running = threading.Lock(), [True]

        def expire() -> None:
            with guard:
                if not running[0]:
                    return
                overran.set()
            kill(f"the model call ran more than {seconds:g} s, so it was stopped")

        timer = self.clock.call_later(seconds, expire)
        try:
            yield
        finally:
            with guard:
                running[0] = False
            timer.cancel()

    def _ensure_loaded(self) -> None:
        if self._state == ModelState.READY and self.engine.is_loaded():
            return
        self._set_state(ModelState.LOADING)
        started = time.perf_counter()
        try:
            self.engine.check_environment()
            self.engine.load()
        except AppError as exc:
            self._set_state(ModelState.ERROR, exc)
            raise
        except Exception as exc:
            log.exception("Model load failed")
            error = ModelLoadFailed(
                f"The {self.engine.name} model could not be loaded: {_short(exc)}"
            )
            self._set_state(ModelState.ERROR, error)
            raise error from exc
        self._set_state(ModelState.READY)
        log.info(
            "Loaded %s on %s in %.2fs",
            self.engine.name,
            self.engine.device,
            time.perf_counter() - started,
        )

    def _unload_if_idle(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._in_flight:
                return
            self._expires_at = None
            self._timer = None
        self._unload()

    def _unload(self) -> dict[str, Any]:
        was_loaded = self.engine.is_loaded()
        before = self._memory_reading()
        if was_loaded:
            self._set_state(ModelState.UNLOADING)
        try:
            self.engine.unload()
        finally:
            # A full collection takes a second in a big process: only for a model that lived
            # here (a host's memory went with its process).
            if was_loaded and self._kill is None:
                release_memory()
            self._set_state(ModelState.UNLOADED)
        report = self._unload_report(was_loaded, before, hosted=self._kill is not None)
        if was_loaded:
            log.info("Unloaded %s; freed %s", self.engine.name, report["freed"])
        return report

    def _set_state(self, state: ModelState, error: AppError | None = None) -> None:
        with self._lock:
            self._state = state
            if state in (ModelState.READY, ModelState.ERROR):
                self._last_error = error


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]

"""EngineHost: an engine that runs in a child process of its own, behind the Engine protocol.

The ModelManager owns one host per device and calls it exactly as it would call the engine; each
call crosses a pipe to the child (backend.engines.host_child). What that buys:
- `unload()` ends the process, so the model's memory, the CUDA context and the libraries all go
  back to the system; the next `load()` starts a fresh host.
- `kill()` stops a call that hangs (the manager's deadline): the call returns at once with
  EngineFault and the next call starts a new host, so two models never coexist.
- A host that dies on its own (a native crash, the OOM killer) fails the call in flight with
  EngineFault (503 engine_fault) instead of taking the server down.
- torch is imported only in the host, so the server starts and answers /health at once.

Static facts (name, capabilities, check_environment) come from an unloaded instance of the engine
made here, which must be cheap to construct; device, sample rate, memory and info come from the
host's last reply. Calls are serialised by the manager; `kill`, `memory`, `info` and
`host_status` may be called from any thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from backend.core.errors import EngineFault, ModelLoadFailed
from backend.core.speech import Audio, Capabilities, EngineMemory, SynthesisParams
from backend.engines.base import Engine
from backend.engines.host_child import serve
from backend.engines.host_wire import HostHandle, error_from_wire, from_wire, to_wire

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # seconds for a spawned host to import its engine module and answer
EXIT_TIMEOUT = 10.0  # seconds a host gets to exit when asked, before it is killed


class EngineHost:
    """The Engine protocol, served by a spawned child process. See the module docstring."""

    def __init__(
        self,
        factory: Callable[..., Engine],
        *args: Any,
        device_hint: str = "cpu",
        log_level: str = "INFO",
        **kwargs: Any,
    ):
        self.factory = factory  # what the host builds (an engine class, usually)
        self._factory, self._args, self._kwargs = factory, args, kwargs
        self._shadow = factory(*args, **kwargs)  # never loaded: the static facts
        self.name: str = self._shadow.name
        self.capabilities: Capabilities = self._shadow.capabilities
        self._device_hint = device_hint
        self._log_level = log_level
        self._lock = threading.Lock()  # guards the fields below (not held while a call waits)
        self._process: Any = None
        self._conn: Connection | None = None
        self._facts: dict[str, Any] = {}
        self._generation = 0
        self._starts = 0
        self._killed_for: str | None = None
        self._last_exit: str | None = None

    # ---- facts --------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        return self._facts.get("device") or self._device_hint

    @property
    def sample_rate(self) -> int:
        return int(self._facts.get("sample_rate") or self._shadow.sample_rate)

    def check_environment(self) -> None:
        self._shadow.check_environment()

    def is_loaded(self) -> bool:
        return self._serving() and bool(self._facts.get("loaded"))

    def memory(self) -> EngineMemory:
        reading = self._facts.get("memory") if self._alive() else None
        return EngineMemory(**reading) if reading else EngineMemory()

    def info(self) -> dict[str, Any]:
        return dict(self._facts.get("info") or self._shadow.info())

    def host_status(self) -> dict[str, Any]:
        """The host process for /health: pid and RSS (None when no host runs), how many hosts
        this server has started, and how the last one ended."""
        alive = self._alive()
        return {
            "pid": self._facts.get("pid") if alive else None,
            "rss_bytes": self._facts.get("rss_bytes") if alive else None,
            "starts": self._starts,
            "last_exit": self._last_exit,
        }

    # ---- lifecycle ----------------------------------------------------------------------------

    def import_runtime(self) -> None:
        self._request("import_runtime")

    def load(self) -> None:
        self._request("load")

    def unload(self) -> None:
        """End the host process (idempotent): everything the model held goes with it."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process, self._conn = None, None
            self._forget_process()
        if process is None:
            return
        try:
            if process.is_alive() and conn is not None:
                conn.send(("exit", ()))
                if conn.poll(EXIT_TIMEOUT):
                    conn.recv()
        except (EOFError, OSError):
            pass
        process.join(EXIT_TIMEOUT)
        if process.is_alive():
            log.warning("Engine host %s did not exit when asked; killing it", process.pid)
            process.kill()
            process.join()
        self._last_exit = "unloaded"
        if conn is not None:
            conn.close()

    def kill(self, reason: str) -> None:
        """Kill the host now, from any thread: the call in flight fails with EngineFault
        naming `reason`; the next call starts a fresh host."""
        with self._lock:
            process = self._process
            self._killed_for = reason
        if process is not None and process.is_alive():
            log.error("Killing engine host %s: %s", process.pid, reason)
            process.kill()
            process.join()

    # ---- calls --------------------------------------------------------------------------------

    def prepare_voice(self, ref: Any) -> HostHandle:
        return self._request("prepare_voice", ref)

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        return self._request("synthesize", text, handle, params)

    def speaker_similarity(self, audio: Audio, handle: Any) -> float | None:
        return self._request("speaker_similarity", audio, handle)

    def convert_voice(self, audio: Audio, handle: Any) -> Audio:
        return self._request("convert_voice", audio, handle)

    def _request(self, op: str, *args: Any) -> Any:
        conn = self._ensure_started()
        if any(isinstance(a, HostHandle) and a.generation != self._generation for a in args):
            # The host that made this voice handle ended after making it (between two steps of
            # one call), and a new one holds nothing: the call fails as if it had died under it.
            raise EngineFault(
                f"The {self.name} engine process stopped: {self._last_exit or 'it ended'}."
            )
        try:
            conn.send((op, to_wire(args)))
            ok, value, facts = conn.recv()
        except (EOFError, OSError) as exc:
            raise self._fault() from exc
        self._facts.update(facts)
        if not ok:
            raise error_from_wire(value)
        return from_wire(value)

    def _forget_process(self) -> None:
        """Drop what only a running host knows; device and rate stay true for the next one."""
        self._facts = {k: v for k, v in self._facts.items() if k in ("device", "sample_rate")}

    def _alive(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    def _serving(self) -> bool:
        """Between calls (the model thread only): the host is there to take the next request.
        A dead host's end of the pipe reads as closed at once, even in the moment before its
        process can be reaped (a killed process with threads is a zombie a little longer)."""
        with self._lock:
            process, conn = self._process, self._conn
        if process is None or conn is None or not process.is_alive():
            return False
        try:
            return not conn.poll(0)  # no reply is ever left unread: readable means closed
        except OSError:
            return False

    def _ensure_started(self) -> Connection:
        if self._serving():
            assert self._conn is not None
            return self._conn
        if self._process is not None:  # it died between calls: note how, start another
            self._fault()
        return self._start()

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        self._generation += 1
        process = context.Process(
            target=serve,
            args=(theirs, self._factory, self._args, self._kwargs, self._generation),
            kwargs={"log_level": self._log_level},
            name=f"engine-host-{self.name}",
            daemon=True,  # multiprocessing ends it at exit, whatever else happens
        )
        started = time.perf_counter()
        process.start()
        theirs.close()
        try:
            if not ours.poll(START_TIMEOUT):
                raise TimeoutError(f"no answer in {START_TIMEOUT:g} s")
            ok, value, facts = ours.recv()
        except (EOFError, OSError, TimeoutError) as exc:
            process.kill()
            process.join()
            ours.close()
            raise ModelLoadFailed(
                f"The {self.name} engine process did not start ({_ended(process.exitcode)}): "
                f"{exc or type(exc).__name__}.",
                "Check the server log for the engine process's error, then retry.",
            ) from exc
        if not ok:  # the engine could not even be built there
            process.join(EXIT_TIMEOUT)
            ours.close()
            raise error_from_wire(value)
        with self._lock:
            self._process, self._conn, self._facts = process, ours, dict(facts)
            self._starts += 1
            self._killed_for = None
        log.info(
            "Engine host %s (%s) started in %.2fs",
            process.pid,
            self.name,
            time.perf_counter() - started,
        )
        return ours

    def _fault(self) -> EngineFault:
        """The host ended under a call (or between calls): forget it and say how it ended."""
        with self._lock:
            process, conn, reason = self._process, self._conn, self._killed_for
            self._process, self._conn, self._killed_for = None, None, None
            self._forget_process()
        if process is not None:
            process.join(EXIT_TIMEOUT)
        if conn is not None:
            conn.close()
        pid = process.pid if process is not None else "?"
        how = reason or _ended(process.exitcode if process is not None else None)
        self._last_exit = how
        log.error("Engine host %s ended: %s", pid, how)
        return EngineFault(f"The {self.name} engine process (pid {pid}) stopped: {how}.")


def _ended(exitcode: int | None) -> str:
    """How a process ended, in words: 'killed by SIGKILL', 'exit code 3'."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"

"""The engine host's side: the process that holds the model, serving one request at a time.

`serve` runs in a spawned child (the same on Windows and Linux). It builds the engine from the
factory it was given, answers requests from the pipe in order, and exits when the server says
so, when the pipe closes, or when the server process is gone (so no host outlives its server).
torch and the model live only here: ending this process frees all of their memory, CUDA context
included.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Connection, wait
from typing import Any

from backend.core.logging import configure_logging
from backend.core.memory import process_rss
from backend.engines.base import Engine
from backend.engines.host_wire import HostHandle, error_to_wire, from_wire, to_wire

log = logging.getLogger(__name__)

MAX_HANDLES = 64  # voice handles kept by token; each manager call makes and uses its own


class _Handles:
    """Voice handles by token, the oldest forgotten first (the engine keeps its own cache)."""

    def __init__(self, generation: int):
        self.generation = generation
        self._items: OrderedDict[int, Any] = OrderedDict()
        self._next = 0

    def add(self, handle: Any) -> HostHandle:
        self._next += 1
        self._items[self._next] = handle
        while len(self._items) > MAX_HANDLES:
            self._items.popitem(last=False)
        return HostHandle(self.generation, self._next)

    def get(self, handle: HostHandle) -> Any:
        if handle.generation != self.generation or handle.token not in self._items:
            raise LookupError(f"voice handle {handle} is not held by this engine host")
        return self._items[handle.token]


def facts(engine: Engine) -> dict[str, Any]:
    """What the server shows between calls: read here, sent with every reply."""
    loaded = engine.is_loaded()
    facts: dict[str, Any] = {"loaded": loaded, "rss_bytes": process_rss(), "pid": os.getpid()}
    for name, read in (
        ("device", lambda: engine.device),
        ("sample_rate", lambda: engine.sample_rate),
        ("memory", lambda: asdict(engine.memory())),
        ("info", engine.info),
    ):
        try:
            facts[name] = read()
        except Exception as exc:  # a fact that cannot be read is left out, never fatal
            log.debug("Engine fact %s unreadable: %s", name, exc)
    return facts


def serve(
    conn: Connection,
    factory: Callable[..., Engine],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    generation: int,
    log_level: str,
) -> None:
    """The host's main loop (the target of the spawned process)."""
    configure_logging(log_level)
    # Ctrl+C reaches the whole process group; the server decides when its host ends.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    try:
        engine = factory(*args, **kwargs)
    except BaseException as exc:
        conn.send((False, error_to_wire(exc), {}))
        return
    handles = _Handles(generation)
    conn.send((True, None, facts(engine)))
    while True:
        try:
            op, call_args = conn.recv()
        except (EOFError, OSError):
            return  # the server closed the pipe
        if op == "exit":
            conn.send((True, None, {}))
            return
        try:
            value = _dispatch(engine, handles, op, from_wire(call_args))
            reply = (True, to_wire(value), facts(engine))
        except BaseException as exc:
            reply = (False, error_to_wire(exc), facts(engine))
        conn.send(reply)


def _dispatch(engine: Engine, handles: _Handles, op: str, args: tuple[Any, ...]) -> Any:
    if op == "prepare_voice":
        return handles.add(engine.prepare_voice(*args))
    if op == "synthesize":
        text, handle, params = args
        return engine.synthesize(text, handles.get(handle), params)
    if op == "speaker_similarity":
        audio, handle = args
        return engine.speaker_similarity(audio, handles.get(handle))
    if op == "convert_voice":
        audio, handle = args
        return engine.convert_voice(audio, handles.get(handle))
    if op in ("import_runtime", "load", "unload", "check_environment"):
        return getattr(engine, op)()
    if op == "facts":
        return None
    raise ValueError(f"unknown engine host request {op!r}")


def _exit_with_parent() -> None:
    """End this process as soon as the server's process is gone, even mid-call (a host must
    never keep a GPU after its server died, e.g. killed by the OOM killer)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()

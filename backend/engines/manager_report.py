"""ManagerReport: what the model manager tells routes and services about its engine: the
status /health shows, the engine's facts (name, device, capabilities, rate, extras), and the
memory readings an unload compares. Routes never reach for `.engine` themselves.

A mixin of backend.engines.manager.ModelManager, reading its fields under its lock.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from backend.core import gpu
from backend.core.errors import AppError
from backend.core.memory import process_rss
from backend.core.speech import Capabilities
from backend.engines.base import Engine
from backend.engines.clock import Clock
from backend.engines.model_state import ModelState, iso


class ManagerReport:
    engine: Engine
    switch: bool
    clock: Clock
    keep_alive: float
    _model: str
    _lock: threading.Lock
    _state: ModelState
    _in_flight: int
    _expires_at: float | None
    _last_error: AppError | None
    _switching: dict[str, Any] | None
    _last_switch: dict[str, Any] | None
    _switches: int

    def status(self) -> dict[str, Any]:
        with self._lock:
            state, in_flight, expires = self._state, self._in_flight, self._expires_at
            error = self._last_error
            switching, last_switch = self._switching, self._last_switch
            switches = self._switches
        left = None if expires is None else max(0.0, round(expires - self.clock.time(), 1))
        memory = asdict(self.engine.memory()) if state == ModelState.READY else {}
        return {
            "state": state.value,
            "model_loaded": state == ModelState.READY,
            "engine": self.engine.name,
            "device": self.engine.device,
            "in_flight": in_flight,
            "keep_alive": self.keep_alive,
            "expires_at": iso(expires),
            "expires_in": left,
            "rss_bytes": process_rss(),
            "vram_allocated_bytes": memory.get("vram_allocated"),
            "vram_reserved_bytes": memory.get("vram_reserved"),
            "vram_free_bytes": memory.get("vram_free"),
            "vram_total_bytes": memory.get("vram_total"),
            "last_error": error.to_dict() if error else None,
            "engine_host": self._host_status(),
            "model": self._model,
            "model_switch": "on" if self.switch else "off",
            "switching": switching,
            "last_switch": last_switch,
            "switches": switches,
        }

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def device(self) -> str:
        return self.engine.device

    @property
    def capabilities(self) -> Capabilities:
        return self.engine.capabilities

    @property
    def sample_rate(self) -> int:
        return self.engine.sample_rate

    def info(self) -> dict[str, Any]:
        """The engine's extra facts for /health (which weights, which voice)."""
        return self.engine.info()

    def check_environment(self) -> None:
        """Raise EnvironmentNotSetup when the engine's libraries or model files are missing."""
        self.engine.check_environment()

    def _host_status(self) -> dict[str, Any] | None:
        """The engine's host process (pid, RSS, starts, how the last ended); None when the
        engine runs inside this process (tests' fakes)."""
        host_status = getattr(self.engine, "host_status", None)
        return host_status() if host_status is not None else None

    def _memory_reading(self) -> dict[str, int | None]:
        memory = self.engine.memory()
        host = self._host_status() or {}
        cuda = self.engine.device.startswith("cuda")
        return {
            "rss_bytes": process_rss(),
            "host_rss_bytes": host.get("rss_bytes"),
            # the card's own figure, every program's use (the host's gone after an unload)
            "vram_device_used_bytes": gpu.device_used(self.engine.device) if cuda else None,
            "vram_allocated_bytes": memory.vram_allocated,
            "vram_reserved_bytes": memory.vram_reserved,
        }

    def _unload_report(
        self, was_loaded: bool, before: dict[str, int | None], hosted: bool
    ) -> dict[str, Any]:
        """What an unload answers: the memory readings `before` and now, and what was freed. A
        `hosted` engine's process ended with the unload, so it holds nothing now."""
        after = self._memory_reading()
        if was_loaded and hosted:
            gone = ("host_rss_bytes", "vram_allocated_bytes", "vram_reserved_bytes")
            after |= {key: 0 for key in gone if before[key] is not None}
        freed = {
            k: (before[k] - after[k]) if before[k] is not None and after[k] is not None else None
            for k in before
        }
        return {
            "unloaded": was_loaded,
            "engine": self.engine.name,
            "before": before,
            "after": after,
            "freed": freed,
        }

"""ModelSwitch: which model of the catalog is resident, what a request's model name means, what
each model can do, and the switch from one to another (drain, unload, load).

A mixin of backend.engines.manager.ModelManager: `_ensure_model` runs on its model thread, under
its bookkeeping; the rest answers routes and services without loading anything.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from backend.core import models
from backend.core.errors import ModelNotFound, ModelNotLoaded
from backend.core.speech import Capabilities
from backend.engines.base import Engine
from backend.engines.catalog import Catalog
from backend.engines.clock import Clock
from backend.engines.model_state import iso

log = logging.getLogger(__name__)

ENGINE_NAMES = ("chatterbox", "piper")  # what CHATTERBOX_ENGINE may say


class ModelSwitch:
    catalog: Catalog
    engine: Engine
    switch: bool
    clock: Clock
    _model: str
    _lock: threading.Lock
    _kill: Any
    _switching: dict[str, Any] | None
    _last_switch: dict[str, Any] | None
    _switches: int

    def _unload(self) -> dict[str, Any]:
        raise NotImplementedError

    def _ensure_loaded(self) -> None:
        raise NotImplementedError

    @property
    def model(self) -> str:
        """The catalog key of the resident model (or the one the next call loads)."""
        return self._model

    def model_key(self, name: str | None) -> str | None:
        """The catalog key a request's model name means (None for None); ModelNotFound (404)
        listing the models when there is no such model."""
        if name is None:
            return None
        key = self.catalog.find(name)
        if key is not None:
            return key
        names = ", ".join(self.catalog.model_id(k) for k in self.catalog)
        known = models.find(name)
        if name.strip().lower() in ENGINE_NAMES:
            solution = (
                f"Send one of {names}, or restart the server with "
                f"CHATTERBOX_ENGINE={name.strip().lower()}."
            )
        elif known is not None:
            solution = (
                f"Install it: python setup_env.py --model {known.key}, then restart the server; "
                f"or send one of {names}."
            )
        else:
            solution = f"Send one of {names} (GET /v1/models lists them)."
        raise ModelNotFound(
            f"There is no model '{name}' on this server; it has {names}.",
            solution=solution,
            param="model",
        )

    def capabilities_for(self, key: str | None) -> Capabilities:
        """What the model `key` can do (the resident one's for None), without loading it."""
        if key is None or key == self._model:
            return self.engine.capabilities
        return self.catalog.engine(key).capabilities

    def models(self) -> list[dict[str, Any]]:
        """Every model this server can switch to, for /health and /v1/models."""
        return [
            {
                "key": key,
                "id": self.catalog.model_id(key),
                "title": self.catalog.title(key),
                "resident": key == self._model and self.engine.is_loaded(),
            }
            for key in self.catalog
        ]

    def _ensure_model(self, key: str | None) -> None:
        """Make `key` the resident model: unload the current one, load it (model thread)."""
        key = self.model_key(key)  # a real name is fine too; an unknown one raises
        if key is None or key == self._model:
            return
        current = self.catalog.title(self._model)
        wanted = self.catalog.title(key)
        if not self.switch:
            raise ModelNotLoaded(
                f"This request asks for {wanted}, and the server has {current} loaded; model "
                "switching is off (CHATTERBOX_MODEL_SWITCH=off).",
                solution=f"Send model={self.catalog.model_id(self._model)} (the loaded one), or "
                "set CHATTERBOX_MODEL_SWITCH=on and restart the server so it can switch.",
                model=self.catalog.model_id(key),
                loaded=self.catalog.model_id(self._model),
            )
        log.info("Switching model: %s -> %s", current, wanted)
        began, started = self.clock.time(), time.perf_counter()
        with self._lock:
            self._switching = {"from": self._model, "to": key, "since": iso(began)}
        try:
            self._unload()
            with self._lock:
                previous = self._model
                self.engine = self.catalog.engine(key)
                self._kill = getattr(self.engine, "kill", None)
                self._model = key
                self._switches += 1
            self._ensure_loaded()
        finally:
            with self._lock:
                self._switching = None
        seconds = round(time.perf_counter() - started, 3)
        with self._lock:
            self._last_switch = {"from": previous, "to": key, "at": iso(began), "seconds": seconds}
        log.info("Switched to %s in %.2fs", wanted, seconds)

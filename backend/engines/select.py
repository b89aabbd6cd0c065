"""Engine selection: the catalog of engines a server can switch between, and which one serves
first, from the `engine` and `chatterbox_model` settings.

Every engine built here runs in a host process of its own (backend.engines.host). `auto` picks
Chatterbox when its package imports and a model's files are in the cache, otherwise the embedded
Piper engine, so a fresh machine always speaks. Of the Chatterbox family, the installed models
are in the catalog (a request may switch to any of them); CHATTERBOX_MODEL picks the first, or
for `auto` the choice rule of backend.core.models by the card (read with nvidia-smi: the server
never imports torch). Piper is always in the catalog too.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import partial

from backend.core import gpu, models
from backend.core.settings import Settings
from backend.engines.base import Engine
from backend.engines.catalog import Catalog
from backend.engines.host import EngineHost

log = logging.getLogger(__name__)

PIPER = "piper"


def chatterbox_ready(settings: Settings) -> bool:
    installed = importlib.util.find_spec("chatterbox") is not None
    return installed and bool(models.installed(settings.model_cache_dir))


def first_model(settings: Settings, installed: list[str]) -> str:
    """The Chatterbox model a server starts with (see the module docstring)."""
    if settings.chatterbox_model != "auto":
        return settings.chatterbox_model
    total = gpu.total_memory() if settings.device in ("auto", "cuda") else None
    return models.choose(installed, total) or models.ORIGINAL.key


def build_catalog(settings: Settings, chatterbox: type | None = None) -> Catalog:
    """The engines this server may serve, each in an engine host of its own. `chatterbox`: the
    engine class for the family (default ChatterboxEngine; the real-package tests pass an
    instrumented subclass)."""
    choice = settings.engine
    if choice == "auto":
        choice = "chatterbox" if chatterbox_ready(settings) else PIPER
        log.info("Engine auto -> %s", choice)
    factories = {PIPER: partial(_piper, settings)}
    titles = {PIPER: ("piper", "Piper")}
    default = PIPER
    if choice == "chatterbox":
        installed = models.installed(settings.model_cache_dir)
        default = first_model(settings, installed)
        for key in dict.fromkeys([default, *installed]):  # the chosen one even if missing
            factories[key] = partial(_chatterbox, settings, key, chatterbox)
            titles[key] = (models.MODELS[key].model_id, models.MODELS[key].title)
        log.info("Chatterbox model %s (installed: %s)", default, ", ".join(installed) or "none")
    ordered = {key: factories[key] for key in [*models.MODELS, PIPER] if key in factories}
    return Catalog(ordered, default, titles)


def build_engine(settings: Settings) -> Engine:
    """The engine a server starts with, in an engine host process of its own."""
    catalog = build_catalog(settings)
    return catalog.engine(catalog.default)


def _chatterbox(settings: Settings, key: str, engine_class: type | None) -> Engine:
    if engine_class is None:
        from backend.engines.chatterbox import ChatterboxEngine as engine_class

    # the device's "auto" is resolved in the host, the only process that imports torch
    return EngineHost(
        engine_class, settings, key, device_hint=settings.device, log_level=settings.log_level
    )


def _piper(settings: Settings) -> Engine:
    from backend.engines.piper import PiperEngine

    return EngineHost(PiperEngine, settings, device_hint="cpu", log_level=settings.log_level)

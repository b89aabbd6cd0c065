"""Engine selection: which engine serves, from the `engine` setting.

Every engine built here runs in a host process of its own (backend.engines.host). `auto` picks
Chatterbox when its package imports and its model files are in the cache, otherwise the embedded
Piper engine, so a fresh machine always speaks.
"""

from __future__ import annotations

import importlib.util
import logging

from backend.core.settings import Settings
from backend.engines.base import Engine
from backend.engines.host import EngineHost

log = logging.getLogger(__name__)


def chatterbox_ready(settings: Settings) -> bool:
    from backend.engines.chatterbox import model_files_present

    installed = importlib.util.find_spec("chatterbox") is not None
    return installed and not model_files_present(settings.model_cache_dir)


def build_engine(settings: Settings) -> Engine:
    """The chosen engine, in an engine host process of its own (backend.engines.host)."""
    choice = settings.engine
    if choice == "auto":
        choice = "chatterbox" if chatterbox_ready(settings) else "piper"
        log.info("Engine auto -> %s", choice)
    if choice == "chatterbox":
        from backend.engines.chatterbox import ChatterboxEngine

        # "auto" is resolved in the host, the only process that imports torch
        return EngineHost(
            ChatterboxEngine, settings, device_hint=settings.device, log_level=settings.log_level
        )
    from backend.engines.piper import PiperEngine

    return EngineHost(PiperEngine, settings, device_hint="cpu", log_level=settings.log_level)

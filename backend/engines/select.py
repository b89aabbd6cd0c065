"""Engine selection: which engine serves, from the `engine` setting.

`auto` picks Chatterbox when its package imports and its model files are in the cache, otherwise
the embedded Piper engine, so a fresh machine always speaks.
"""

from __future__ import annotations

import importlib.util
import logging

from backend.core.settings import Settings
from backend.engines.base import Engine

log = logging.getLogger(__name__)


def chatterbox_ready(settings: Settings) -> bool:
    from backend.engines.chatterbox import model_files_present

    installed = importlib.util.find_spec("chatterbox") is not None
    return installed and not model_files_present(settings.model_cache_dir)


def build_engine(settings: Settings) -> Engine:
    choice = settings.engine
    if choice == "auto":
        choice = "chatterbox" if chatterbox_ready(settings) else "piper"
        log.info("Engine auto -> %s", choice)
    if choice == "chatterbox":
        from backend.engines.chatterbox import ChatterboxEngine

        return ChatterboxEngine(settings)
    from backend.engines.piper import PiperEngine

    return PiperEngine(settings)

"""The real server over loopback with the Chatterbox family as fake engines in a catalog (and a
Piper that cannot clone or re-voice), for the contract tests of the fake's models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.core import models
from backend.core.settings import Settings
from backend.engines.catalog import Catalog
from backend.engines.fake import FakeEngine
from backend.main import create_app
from frontend.api_client import ApiClient
from tests.frontend.fake_models import TURBO_TAGS
from tests.helpers.live import serving

KEYS = ("original", "turbo", "multilingual", "piper")
TITLES = {key: (m.model_id, m.title) for key, m in models.MODELS.items()} | {
    "piper": ("piper", "Piper")
}


def engines() -> dict[str, FakeEngine]:
    """Each member as the real family's capabilities describe it (backend.core.models)."""
    turbo, multilingual = models.TURBO, models.MULTILINGUAL
    return {
        "original": FakeEngine(name="chatterbox", model="original"),
        "turbo": FakeEngine(
            name="chatterbox",
            model="turbo",
            tags=TURBO_TAGS,
            min_reference_seconds=turbo.min_reference_seconds,
            ignored_params=turbo.ignored_params,
        ),
        "multilingual": FakeEngine(
            name="chatterbox", model="multilingual", languages=multilingual.languages
        ),
        "piper": FakeEngine(name="piper", can_clone=False, can_convert_voice=False),
    }


@contextlib.contextmanager
def family_serving(root: Path, **overrides: Any) -> Iterator[ApiClient]:
    """The family served from `root`, the original model loaded first; `overrides` are
    settings (model_switch="off")."""
    catalog = Catalog({key: (lambda e=e: e) for key, e in engines().items()}, "original", TITLES)
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        model_cache_dir=root / "model_cache",
        quality_check="off",
        **overrides,
    )
    with serving(create_app(settings, catalog)) as url:
        yield ApiClient(url)

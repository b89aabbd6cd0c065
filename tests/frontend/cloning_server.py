"""The real server over loopback on a FakeEngine that clones, for the fake's contract tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from frontend.api_client import ApiClient
from tests.helpers.live import serving


@contextlib.contextmanager
def cloning_serving(data: Path, **settings: object) -> Iterator[ApiClient]:
    """The app on data under `data`, quality checks off, with `settings` on top."""
    config = Settings(
        _env_file=None, data_dir=data, model_cache_dir=data / "model_cache", quality_check="off",
        **settings,
    )  # fmt: skip
    with serving(create_app(config, FakeEngine(can_clone=True))) as url:
        yield ApiClient(url)

"""Real servers on loopback (FakeEngine) for the command line, and a clean environment: no
CHATTERBOX_URL, token or port from the machine, the current folder a fresh one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.live import serving

SERVER_VARIABLES = (
    "CHATTERBOX_URL",
    "CHATTERBOX_API_TOKEN",
    "CHATTERBOX_HOST",
    "CHATTERBOX_PORT",
    "PORT",
    "CHATTERBOX_ALLOWED_HOSTS",
    "CHATTERBOX_DATA_DIR",
)
PARAGRAPHS = [
    "The river runs past the old mill and under the stone bridge, slow and brown in the heat.",
    "At the lighthouse the keeper climbs the stairs each evening and lights the great lamp.",
    "In the morning the fishing boats come home with the tide, and the gulls follow them in.",
]


@dataclass
class Live:
    """A server on loopback and its engine."""

    url: str
    engine: FakeEngine
    token: str | None = None

    def jobs(self) -> list[dict]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.get(f"{self.url}/jobs", headers=headers, timeout=10).json()["jobs"]


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch) -> Path:
    for name in SERVER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def start_server(tmp_path) -> Iterator:
    """start_server(engine=None, **settings) -> Live, stopped (hung calls released) at the end."""
    with contextlib.ExitStack() as stack:

        def start(engine: FakeEngine | None = None, **overrides) -> Live:
            engine = engine or FakeEngine(max_chars=120)
            settings = Settings(
                _env_file=None,
                data_dir=tmp_path / "data",
                model_cache_dir=tmp_path / "model_cache",
                **({"quality_check": "off"} | overrides),
            )
            url = stack.enter_context(serving(create_app(settings, engine)))
            stack.callback(engine.release.set)  # before the server stops (callbacks run LIFO)
            token = overrides.get("api_token")
            return Live(url, engine, token)

        yield start


@pytest.fixture
def server(start_server) -> Live:
    return start_server()


@pytest.fixture
def text_book(clean_environment) -> Path:
    path = clean_environment / "river.txt"
    path.write_text("\n\n".join(PARAGRAPHS), encoding="utf-8")
    return path

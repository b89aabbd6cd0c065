from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.api import LOCAL


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(engine: FakeEngine | None = None, **overrides) -> TestClient:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path / "data",
            model_cache_dir=tmp_path / "model_cache",
            # quality_check off: the fake engine speaks tones, not words
            **({"quality_check": "off", "load_on_startup": False} | overrides),
        )
        client = TestClient(
            create_app(settings, engine or FakeEngine()),
            raise_server_exceptions=False,
            base_url=LOCAL,
        )
        client.__enter__()
        client.engine = client.app.state.manager.engine
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()

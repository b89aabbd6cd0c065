from __future__ import annotations

from backend.core.errors import EnvironmentNotSetup
from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.api import assert_error


def test_health_is_healthy_and_says_engine_device_and_memory(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["model_loaded"] is False
    assert body["engine"] == "fake"
    assert body["device"] == "cpu"
    assert body["memory"]["rss_bytes"] > 0
    assert body["memory"]["ram_total_bytes"] > 0
    assert response.headers["x-tts-engine"] == "fake"
    assert response.headers["x-tts-device"] == "cpu"


def test_health_shows_model_loaded_after_load(client):
    client.post("/model/load")
    body = client.get("/health").json()
    assert body["model_loaded"] is True
    assert body["state"] == "ready"


def test_health_is_503_environment_not_setup_when_libraries_are_missing(make_client):
    client = make_client(FakeEngine(environment_error=EnvironmentNotSetup()))
    assert_error(
        client.get("/health"),
        503,
        {
            "error": "environment_not_setup",
            "message": "The selected engine's libraries are not installed.",
            "solution": "Run: python setup_env.py",
            "engine": "fake",
        },
    )


def test_health_503_names_the_cache_directory_when_chatterbox_files_are_missing(tmp_path):
    from fastapi.testclient import TestClient

    cache = tmp_path / "empty_cache"
    cache.mkdir()
    settings = Settings(
        _env_file=None,
        engine="chatterbox",
        model_cache_dir=cache,
        data_dir=tmp_path / "data",
        load_on_startup=False,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
        body = response.json()
        assert response.status_code == 503
        assert body["error"] == "environment_not_setup"
        assert body["engine"] == "chatterbox"
        assert "setup_env.py" in body["solution"]
        tts = client.post("/tts", json={"text": "hello"})
        assert tts.status_code == 503
        assert tts.json()["error"] == "environment_not_setup"


def test_health_503_names_the_cache_directory_when_only_model_files_are_missing(
    tmp_path, monkeypatch
):
    from fastapi.testclient import TestClient

    monkeypatch.syspath_prepend(
        str(__import__("pathlib").Path(__file__).parents[2] / "fakes" / "chatterbox_pkg")
    )
    cache = tmp_path / "empty_cache"
    cache.mkdir()
    settings = Settings(
        _env_file=None,
        engine="chatterbox",
        model_cache_dir=cache,
        data_dir=tmp_path / "data",
        load_on_startup=False,
    )
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
        assert body["error"] == "environment_not_setup"
        assert str(cache.resolve()) in body["message"]
        assert "t3_cfg.safetensors" in body["message"]

from __future__ import annotations

import pytest

from backend.core.errors import EnvironmentNotSetup
from backend.core.settings import Settings
from backend.core.speech import EngineMemory
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.api import LOCAL, assert_error

DEFAULT_LIMITS = {
    "max_upload_bytes": 50 * 1024 * 1024,
    "max_upload_mb": 50.0,
    "max_text_chars": 5000,
    "max_job_chars": 2_000_000,
    "voice_min_seconds": 3.0,
    "voice_max_seconds": 60.0,
    "max_pdf_pages": 2000,
}


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


def test_health_reports_the_gpu_memory_of_the_process_and_of_the_whole_device(make_client):
    gib = 1024**3
    memory = EngineMemory(
        vram_allocated=3 * gib, vram_reserved=4 * gib, vram_free=1 * gib, vram_total=6 * gib
    )
    client = make_client(FakeEngine(memory=memory))
    client.post("/model/load")
    body = client.get("/health").json()["memory"]
    assert body["vram_allocated_bytes"] == 3 * gib
    assert body["vram_reserved_bytes"] == 4 * gib
    assert body["vram_free_bytes"] == 1 * gib
    assert body["vram_total_bytes"] == 6 * gib


def test_health_reports_the_limits_a_client_must_respect_from_the_settings(make_client):
    client = make_client(
        max_upload_mb=2,
        max_text_chars=100,
        max_job_chars=1000,
        voice_min_seconds=4,
        voice_max_seconds=30,
        max_pdf_pages=10,
    )
    assert client.get("/health").json()["limits"] == {
        "max_upload_bytes": 2 * 1024 * 1024,
        "max_upload_mb": 2.0,
        "max_text_chars": 100,
        "max_job_chars": 1000,
        "voice_min_seconds": 4.0,
        "voice_max_seconds": 30.0,
        "max_pdf_pages": 10,
    }


def test_health_503_still_reports_the_limits_from_the_settings(make_client):
    client = make_client(FakeEngine(environment_error=EnvironmentNotSetup()), max_pdf_pages=7)
    body = client.get("/health").json()
    assert body["error"] == "environment_not_setup"
    assert body["limits"] == DEFAULT_LIMITS | {"max_pdf_pages": 7}


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
            "limits": DEFAULT_LIMITS,
        },
    )


def test_health_503_says_run_setup_when_chatterbox_libraries_are_missing(tmp_path, monkeypatch):
    import importlib.util

    from fastapi.testclient import TestClient

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(  # as on a machine where chatterbox-tts was never installed
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "chatterbox" else real_find_spec(name, *a),
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
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        assert_error(
            client.get("/health"),
            503,
            {
                "error": "environment_not_setup",
                "message": "The Chatterbox libraries (chatterbox-tts, torch) are not installed.",
                "solution": "Run: python setup_env.py --engine chatterbox",
                "engine": "chatterbox",
                "limits": DEFAULT_LIMITS,
            },
        )
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
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        model_dir = cache.resolve() / "original"  # each model has a folder of its own
        files = "ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, tokenizer.json, conds.pt"
        assert_error(
            client.get("/health"),
            503,
            {
                "error": "environment_not_setup",
                "message": f"The Chatterbox model files are missing from {model_dir}: {files}.",
                "solution": "Run: python setup_env.py --engine chatterbox --model original "
                f"(downloads them into {model_dir}), or copy the files ({files}) there.",
                "model": "chatterbox",
                "engine": "chatterbox",
                "limits": DEFAULT_LIMITS,
            },
        )


TOKEN = "health-test-token"
REDACTED_KEYS = {"status", "model_loaded", "limits"}


def test_with_a_token_health_without_it_says_only_status_model_loaded_and_limits(make_client):
    client = make_client(api_token=TOKEN)
    client.post("/model/load", headers={"x-api-key": TOKEN})

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "model_loaded": True, "limits": DEFAULT_LIMITS}
    assert "x-tts-engine" not in response.headers and "x-tts-device" not in response.headers


@pytest.mark.parametrize(
    "credentials", [{"authorization": f"Bearer {TOKEN}"}, {"x-api-key": TOKEN}]
)
def test_with_a_token_health_with_it_says_everything(make_client, credentials):
    client = make_client(api_token=TOKEN)

    response = client.get("/health", headers=credentials)

    body = response.json()
    assert body["engine"] == "fake" and body["device"] == "cpu"
    assert body["memory"]["rss_bytes"] > 0
    assert body["limits"] == DEFAULT_LIMITS
    assert response.headers["x-tts-engine"] == "fake"


def test_with_a_token_a_wrong_one_gets_the_short_health(make_client):
    client = make_client(api_token=TOKEN)
    body = client.get("/health", headers={"authorization": "Bearer guess"}).json()
    assert set(body) == REDACTED_KEYS


def test_with_a_token_an_unset_up_engine_names_no_paths_to_a_caller_without_it(
    make_client, tmp_path
):
    problem = EnvironmentNotSetup(f"The model files are missing from {tmp_path}.")
    client = make_client(FakeEngine(environment_error=problem), api_token=TOKEN)

    response = client.get("/health")
    full = client.get("/health", headers={"x-api-key": TOKEN})

    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "unavailable", "model_loaded": False, "limits": DEFAULT_LIMITS}
    assert str(tmp_path) not in response.text
    assert full.status_code == 503
    assert str(tmp_path) in full.json()["message"]


def test_the_studio_sends_the_token_and_gets_the_full_health(tmp_path, monkeypatch):
    from frontend.api_client import ApiClient
    from tests.helpers.live import serving

    settings = Settings(_env_file=None, data_dir=tmp_path, load_on_startup=False, api_token=TOKEN)
    monkeypatch.delenv("CHATTERBOX_API_TOKEN", raising=False)
    with serving(create_app(settings, FakeEngine())) as url:
        outline = ApiClient(url).health()
        monkeypatch.setenv("CHATTERBOX_API_TOKEN", TOKEN)  # as the studio has it
        full = ApiClient(url).health()
    assert set(outline) == REDACTED_KEYS
    assert full["engine"] == "fake" and "memory" in full and "sample_rate" in full

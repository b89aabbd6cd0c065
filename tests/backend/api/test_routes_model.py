from __future__ import annotations

from backend.engines.fake import FakeEngine
from tests.helpers.api import assert_error


def test_model_load_loads_and_reports_status(client):
    response = client.post("/model/load")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "ready"
    assert body["model_loaded"] is True
    assert body["engine"] == "fake"
    assert client.engine.loads == 1


def test_model_unload_reports_memory_before_after_and_freed(client):
    client.post("/model/load")
    response = client.post("/model/unload")
    assert response.status_code == 200
    body = response.json()
    assert body["unloaded"] is True
    assert set(body) >= {"before", "after", "freed", "engine"}
    assert body["before"]["rss_bytes"] > 0
    assert client.get("/model/status").json()["state"] == "unloaded"


def test_next_request_after_unload_reloads_transparently(client):
    client.post("/model/load")
    client.post("/model/unload")
    response = client.post("/tts", json={"text": "Back again."})
    assert response.status_code == 200
    assert client.engine.loads == 2


def test_model_load_failure_is_503_model_load_failed(make_client):
    client = make_client(FakeEngine(fail_load=OSError("weights are corrupt")))
    response = client.post("/model/load")
    assert_error(response, 503, {"error": "model_load_failed", "message": "", "solution": ""})
    assert "weights are corrupt" in response.json()["message"]  # the cause reaches the client
    assert "CHATTERBOX_DEVICE=cpu" in response.json()["solution"]
    assert client.get("/health").json()["last_error"]["error"] == "model_load_failed"


def test_keep_alive_setting_reaches_the_manager(make_client):
    client = make_client(keep_alive=30)
    client.post("/tts", json={"text": "hello"})
    status = client.get("/model/status").json()
    assert status["keep_alive"] == 30
    assert status["expires_at"] is not None

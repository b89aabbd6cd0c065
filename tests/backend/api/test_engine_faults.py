"""The API over an engine host whose process dies: 503 engine_fault with a solution, /health says
what happened, the next request starts a fresh host, and a job's scene is re-spoken once.

The FakeEngine runs in a real spawned host; a text holding CRASH makes it kill its own process
with SIGKILL mid-request, as a native crash or the OOM killer would."""

from __future__ import annotations

import pytest

from backend.engines.fake import FakeEngine
from backend.engines.host import EngineHost
from tests.helpers.api import assert_error
from tests.helpers.wait import wait_for

CRASH, HANG = "CRASH", "HANG"
# each sentence a scene of its own at 60 characters a scene
FIRST, THIRD = (
    "The first scene is calm and quiet tonight.",
    "The third scene ends this little story.",
)


@pytest.fixture
def hosted_client(make_client):
    def make(settings=None, **fake):
        engine = EngineHost(FakeEngine, crash_on=CRASH, hang_on=HANG, **fake)
        return make_client(engine, **(settings or {}))

    return make


def settled(client, job_id: str) -> dict:
    def done():
        job = client.get(f"/jobs/{job_id}").json()
        return job if job["status"] in ("completed", "failed") else None

    return wait_for(done, timeout=60)


def test_a_host_that_dies_under_tts_is_503_engine_fault_and_the_next_request_is_served(
    hosted_client,
):
    client = hosted_client()
    assert client.post("/tts", json={"text": "A first sentence."}).status_code == 200

    response = client.post("/tts", json={"text": f"{CRASH} in the middle of this one."})

    assert_error(
        response,
        503,
        {"error": "engine_fault", "message": "", "solution": ""},
        says=("killed by SIGKILL", "next request"),
    )
    health = client.get("/health").json()
    assert health["state"] == "error" and health["last_error"]["error"] == "engine_fault"
    assert health["engine_host"]["last_exit"] == "killed by SIGKILL"
    assert health["engine_host"]["pid"] is None

    again = client.post("/tts", json={"text": "Spoken by a fresh engine process."})
    assert again.status_code == 200
    health = client.get("/health").json()
    assert health["model_loaded"] and health["engine_host"]["starts"] == 2


def test_openai_speech_gets_the_engine_fault_in_openais_envelope(hosted_client):
    client = hosted_client()
    body = {"model": "tts-1", "voice": "alloy", "input": f"{CRASH} now."}

    response = client.post("/v1/audio/speech", json=body)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "engine_fault"


def test_a_scene_whose_host_died_once_is_spoken_again_and_the_job_completes(
    hosted_client, tmp_path
):
    client = hosted_client(max_chars=60, crash_flag=str(tmp_path / "crashed-once"))
    text = f"{FIRST} The second {CRASH} scene fails just once. {THIRD}"

    job = settled(client, client.post("/jobs", data={"text": text}).json()["id"])

    assert job["status"] == "completed", job
    assert (tmp_path / "crashed-once").exists()  # the host really died once
    assert client.get("/health").json()["engine_host"]["starts"] == 2


def test_a_scene_whose_host_dies_twice_fails_with_the_reason_and_the_rest_is_spoken(
    hosted_client,
):
    client = hosted_client(max_chars=60)
    text = f"{FIRST} The second {CRASH} scene fails every time. {THIRD}"

    job = settled(client, client.post("/jobs", data={"text": text}).json()["id"])

    failed = [scene for scene in job["scenes"] if scene["audio_status"] == "failed"]
    assert [CRASH in scene["text"] for scene in failed] == [True]
    assert failed[0]["error_code"] == "engine_fault"
    assert "killed by SIGKILL" in failed[0]["error_message"]
    spoken = [scene for scene in job["scenes"] if scene["audio_status"] == "completed"]
    assert len(spoken) == len(job["scenes"]) - 1
    assert client.get("/health").json()["engine_host"]["starts"] == 3  # first, retry, the rest


def test_a_tts_that_hangs_past_the_deadline_is_504_and_the_next_request_is_served(hosted_client):
    client = hosted_client({"scene_timeout_seconds": 1.0})

    response = client.post("/tts", json={"text": f"{HANG} and never come back."})

    assert_error(
        response,
        504,
        {"error": "synthesis_timeout", "message": "", "solution": ""},
        says=("1 s", "CHATTERBOX_SCENE_TIMEOUT_SECONDS"),
    )
    assert "ran more than 1 s" in client.get("/health").json()["engine_host"]["last_exit"]
    assert client.post("/tts", json={"text": "A fresh engine speaks."}).status_code == 200

"""Tests for backend/api/routes_queue.py over the app: the order jobs are spoken in, pausing at a
scene boundary, "pause all and free the GPU", and all of it across a restart. The one synthesis
thread speaks one scene at a time, so the fake engine's calls are the order things happened in;
a job that runs to the end after a pause shows the worker had every chance to speak again."""

from __future__ import annotations

import threading

from backend.engines.fake import FakeEngine
from tests.backend.api.test_routes_jobs import STORY, wait_job
from tests.helpers.api import assert_error, golden_error
from tests.helpers.wait import wait_for


def hangs_on(marker: str) -> FakeEngine:
    return FakeEngine(hang_when=lambda text: marker in text)


def post_text(client, text: str) -> dict:
    response = client.post("/jobs", data={"text": text})
    assert response.status_code == 202, response.text
    return response.json()


def spoken(engine: FakeEngine) -> list[str]:
    return [text for text, _ in engine.calls]


def error(name: str) -> dict:
    wording = golden_error(name)
    return {"error": wording["code"], "message": "", "solution": ""}


def test_reordered_jobs_are_spoken_in_the_new_order(make_client):
    client = make_client(hangs_on("First"))
    first = post_text(client, "First job.")
    assert client.engine.hanging.wait(10)  # the worker is inside the first job's one scene
    second, third, fourth = (post_text(client, f"{n} job.") for n in ("Second", "Third", "Fourth"))

    response = client.put("/jobs/queue", json={"order": [fourth["id"], second["id"]]})
    assert response.status_code == 200, response.text
    places = {job["id"]: job["queue_position"] for job in response.json()["jobs"]}
    assert places == {fourth["id"]: 1, second["id"]: 2, first["id"]: 3, third["id"]: 4}
    assert response.json()["paused_all"] is False

    client.engine.release.set()
    for job in (first, second, third, fourth):
        assert wait_job(client, job["id"])["status"] == "completed"
    assert spoken(client.engine) == ["First job.", "Fourth job.", "Second job.", "Third job."]
    assert all(job["queue_position"] is None for job in client.get("/jobs").json()["jobs"])


def test_a_paused_job_stops_after_the_scene_in_progress_and_resumes_where_it_stopped(
    make_client,
):
    client = make_client(hangs_on("Sentence ten tells"))
    job = post_text(client, STORY)
    assert client.engine.hanging.wait(10)

    paused = client.post(f"/jobs/{job['id']}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True and paused.json()["queue_position"] == 1
    client.engine.release.set()  # the scene in progress finishes
    marker = post_text(client, "A later job.")
    assert wait_job(client, marker["id"])["status"] == "completed"

    held = client.get(f"/jobs/{job['id']}").json()
    statuses = [scene["audio_status"] for scene in held["scenes"]]
    done = statuses.count("completed")
    assert statuses == ["completed"] * done + ["pending"] * (len(statuses) - done)
    assert "Sentence ten tells" in held["scenes"][done - 1]["text"]  # the one in progress
    assert held["paused"] is True and held["status"] == "processing"
    assert spoken(client.engine)[-1] == "A later job."
    assert len(spoken(client.engine)) == done + 1

    resumed = client.post(f"/jobs/{job['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    finished = wait_job(client, job["id"])
    assert finished["status"] == "completed"
    scenes = [scene["text"] for scene in finished["scenes"]]
    assert sorted(spoken(client.engine)) == sorted([*scenes, "A later job."])  # none twice


def test_pause_all_waits_for_the_scene_in_progress_then_frees_the_model(make_client):
    client = make_client(hangs_on("Sentence ten tells"))
    first = post_text(client, STORY)
    assert client.engine.hanging.wait(10)
    answers: list = []
    call = threading.Thread(target=lambda: answers.append(client.post("/jobs/pause-all")))
    call.start()
    wait_for(lambda: client.get(f"/jobs/{first['id']}").json()["paused"])
    client.engine.release.set()
    call.join(30)

    body = answers[0].json()
    assert answers[0].status_code == 200, body
    assert body["paused"] == 1
    assert body["unload"]["unloaded"] is True and body["unload"]["engine"] == "fake"
    assert not client.engine.is_loaded() and client.engine.unloads == 1
    listing = client.get("/jobs").json()
    assert listing["paused_all"] is True
    assert client.get("/model/status").json()["model_loaded"] is False

    later = post_text(client, "Made while everything is paused.")
    assert later["paused"] is True
    marker = post_text(client, "Resumed on its own.")
    assert client.post(f"/jobs/{marker['id']}/resume").json()["paused"] is False
    assert wait_job(client, marker["id"])["status"] == "completed"
    assert spoken(client.engine)[-1] == "Resumed on its own."
    assert "Made while everything is paused." not in spoken(client.engine)
    assert client.get(f"/jobs/{first['id']}").json()["progress"]["pending"] > 0

    assert client.post("/jobs/resume-all").json() == {"resumed": 2}
    for job in (first, later):
        assert wait_job(client, job["id"])["status"] == "completed"
    assert client.get("/jobs").json()["paused_all"] is False


def test_pause_all_with_nothing_loaded_pauses_nothing_and_unloads_nothing(client):
    body = client.post("/jobs/pause-all").json()
    assert body["paused"] == 0 and body["unload"]["unloaded"] is False
    assert client.post("/jobs/resume-all").json() == {"resumed": 0}


def test_a_restart_keeps_the_order_the_pauses_and_pause_all_and_loads_no_model(make_client):
    first = make_client()
    assert first.post("/jobs/pause-all").json()["paused"] == 0
    older, newer = post_text(first, "The older job."), post_text(first, "The newer job.")
    assert older["paused"] is True and newer["paused"] is True
    first.put("/jobs/queue", json={"order": [newer["id"], older["id"]]})
    first.__exit__(None, None, None)

    second = make_client(load_on_startup=True)
    listing = second.get("/jobs").json()
    assert listing["paused_all"] is True
    places = {job["id"]: (job["queue_position"], job["paused"]) for job in listing["jobs"]}
    assert places == {newer["id"]: (1, True), older["id"]: (2, True)}
    # The unload runs after anything queued for the model before it: a start-up load would
    # have been, and would be what it unloads.
    assert second.post("/model/unload").json()["unloaded"] is False
    assert second.engine.loads == 0

    assert second.post("/jobs/resume-all").json() == {"resumed": 2}
    for job in (older, newer):
        assert wait_job(second, job["id"])["status"] == "completed"
    assert spoken(second.engine) == ["The newer job.", "The older job."]


def test_queue_errors_are_clear(client):
    job = post_text(client, "A short job.")
    wait_job(client, job["id"])
    assert_error(client.post("/jobs/nope/pause"), 404, error("JobNotFound"))
    assert_error(client.post("/jobs/nope/resume"), 404, error("JobNotFound"))
    ended = error("JobEnded")
    assert_error(client.post(f"/jobs/{job['id']}/pause"), 409, ended, says="completed")
    assert_error(client.post(f"/jobs/{job['id']}/resume"), 409, ended, says="/retry")
    assert_error(client.put("/jobs/queue", json={"order": [job["id"]]}), 409, ended)
    open_job = post_text(client, "Another job.")
    twice = {"order": [open_job["id"], open_job["id"]]}
    assert_error(client.put("/jobs/queue", json=twice), 422, error("QueueOrderInvalid"))
    assert_error(client.put("/jobs/queue", json={"order": ["nope"]}), 404, error("JobNotFound"))
    empty = client.put("/jobs/queue", json={"order": []})
    assert empty.status_code == 422 and empty.json()["error"] == "invalid_request"

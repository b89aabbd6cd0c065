"""The worker routes over the real app (FakeEngine, real SQLite): claims, leases, submissions,
their refusals, and /metrics. The lease clock is the dispatch's own, moved by hand here."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import threading

import numpy as np
import pytest
import soundfile as sf
from prometheus_client.parser import text_string_to_metric_families

from tests.backend.api.test_routes_jobs import wait_job
from tests.helpers.api import assert_error, golden_error
from tests.helpers.clock import ManualClock
from tests.helpers.wait import wait_for

TOKEN = "worker-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEXT = "The first scene is short. " * 12 + "The second one is short too. " * 12


def error(name: str) -> dict:
    """The error's code and its default solution (whose facts the answer must carry)."""
    wording = golden_error(name)
    return {"error": wording["code"], "message": "", "solution": wording["solution"]}


@pytest.fixture
def coordinator(make_client):
    client = make_client(worker_token=TOKEN, local_worker=False, lease_seconds=30)
    clock = ManualClock()
    client.app.state.jobs.dispatch.leases.clock = clock.time
    client.clock = clock
    return client


def wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    samples = 0.1 * np.sin(np.linspace(0, 440 * 2 * np.pi * seconds, int(rate * seconds)))
    sf.write(buffer, samples.astype("float32"), rate, "PCM_16", format="WAV")
    return buffer.getvalue()


def submit(client, lease: str, body: bytes, sha: str | None = None):
    headers = {**AUTH, "Content-Type": "audio/wav", "X-Engine-Seconds": "0.25"}
    headers["X-Audio-SHA256"] = sha or hashlib.sha256(body).hexdigest()
    return client.put(f"/workers/leases/{lease}/audio", content=body, headers=headers)


def claim(client, worker: str = "w1", engine: str = "fake"):
    return client.post("/workers/claim", json={"worker": worker, "engine": engine}, headers=AUTH)


def new_job(client, text: str = TEXT) -> dict:
    response = client.post("/jobs", data={"text": text})
    assert response.status_code == 202, response.text
    return response.json()


def takes(client, job_id: str) -> list[tuple[int, str]]:
    with sqlite3.connect(client.app.state.settings.jobs_db) as db:
        query = "SELECT idx, reason FROM takes WHERE job_id = ? ORDER BY idx, number"
        return db.execute(query, (job_id,)).fetchall()


def metric(client, name: str, **labels: str) -> float:
    text = client.get("/metrics", headers=AUTH).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name} {labels} not in /metrics")


def test_a_worker_speaks_every_scene_once_and_the_job_is_assembled(coordinator):
    job = new_job(coordinator)
    total = job["progress"]["total"]
    assert total >= 2
    seen = []
    while (got := claim(coordinator)).status_code == 200:
        body = got.json()
        assert body["voice"]["kind"] == "builtin" and body["text"]
        seen.append(body["idx"])
        answer = submit(coordinator, body["lease"], wav())
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"job_id": job["id"], "idx": body["idx"], "take": 1}
    assert got.status_code == 204 and got.content == b""
    assert seen == list(range(1, total + 1))
    done = wait_job(coordinator, job["id"])
    assert done["status"] == "completed"
    assert takes(coordinator, job["id"]) == [(i, "first") for i in seen]
    assert metric(coordinator, "chatterbox_scenes_completed_total", worker="w1") == total
    assert metric(coordinator, "chatterbox_scenes_completed_total", worker="local") == 0
    assert metric(coordinator, "chatterbox_engine_seconds_total", worker="w1") == 0.25 * total
    assert metric(coordinator, "chatterbox_scenes_pending") == 0
    listing = coordinator.get("/workers").json()
    assert listing["enabled"] is True
    workers = listing["workers"]
    assert workers[0] | {"last_seen": None} == {
        "name": "w1",
        "engine": "fake",
        "scenes": total,
        "leases": 0,
        "last_seen": None,
    }


def test_the_same_submission_again_gets_the_same_answer_and_stores_nothing(coordinator):
    job = new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    body = wav()
    first = submit(coordinator, lease, body)
    again = submit(coordinator, lease, body)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert takes(coordinator, job["id"]) == [(1, "first")]
    other = submit(coordinator, lease, wav(0.7))  # another body under a used lease
    assert_error(other, 409, error("LeaseLost"))


def test_a_late_submission_is_refused_and_changes_nothing(coordinator):
    job = new_job(coordinator)
    late = claim(coordinator, "slow").json()
    coordinator.clock.advance(31)  # past the deadline: the next claim expires the lease
    again = claim(coordinator, "fast").json()
    assert again["idx"] == late["idx"] and again["lease"] != late["lease"]
    assert submit(coordinator, again["lease"], wav(0.5)).status_code == 200
    scene = coordinator.get(f"/jobs/{job['id']}/scenes/{late['idx']}/audio").content
    refused = submit(coordinator, late["lease"], wav(0.9))
    assert_error(refused, 409, error("LeaseLost"))
    assert coordinator.get(f"/jobs/{job['id']}/scenes/{late['idx']}/audio").content == scene
    assert takes(coordinator, job["id"]) == [(late["idx"], "first")]
    assert metric(coordinator, "chatterbox_lease_expiries_total") == 1
    files = list((coordinator.app.state.settings.jobs_dir / job["id"] / "scenes").iterdir())
    assert len(files) == 1  # the refused audio left no file


def test_an_expired_lease_is_refused_even_before_another_worker_claims(coordinator):
    new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    coordinator.clock.advance(31)
    assert_error(submit(coordinator, lease, wav()), 409, error("LeaseLost"))
    renew = coordinator.post(f"/workers/leases/{lease}/renew", headers=AUTH)
    assert_error(renew, 409, error("LeaseLost"))


def test_renewing_moves_the_deadline_so_a_slow_scene_keeps_its_lease(coordinator):
    new_job(coordinator)
    lease = claim(coordinator).json()
    coordinator.clock.advance(20)
    renewed = coordinator.post(f"/workers/leases/{lease['lease']}/renew", headers=AUTH)
    assert renewed.status_code == 200
    assert renewed.json()["deadline"] == coordinator.clock.time() + 30
    coordinator.clock.advance(20)  # 40 s after the claim, 20 s after the renewal
    assert claim(coordinator, "other").json()["idx"] != lease["idx"]
    assert submit(coordinator, lease["lease"], wav()).status_code == 200


def test_a_bad_checksum_or_body_is_refused_and_the_lease_still_holds(coordinator):
    new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    body = wav()
    wrong = submit(coordinator, lease, body, sha="0" * 64)
    assert_error(wrong, 422, error("ChecksumMismatch"))
    junk = b"not a wav file"
    assert_error(submit(coordinator, lease, junk), 422, error("AudioUnreadable"), ())
    assert submit(coordinator, lease, body).status_code == 200


def test_a_released_scene_goes_to_the_next_claim(coordinator):
    new_job(coordinator)
    first = claim(coordinator, "stopping").json()
    released = coordinator.post(f"/workers/leases/{first['lease']}/release", headers=AUTH)
    assert released.json() == {"released": True}
    assert claim(coordinator, "next").json()["idx"] == first["idx"]


def test_only_jobs_of_the_workers_engine_are_handed_out(coordinator):
    new_job(coordinator)
    assert claim(coordinator, engine="piper").status_code == 204
    assert claim(coordinator, engine="fake").status_code == 200


def test_a_paused_job_is_not_handed_out(coordinator):
    job = new_job(coordinator)
    assert coordinator.post(f"/jobs/{job['id']}/pause").status_code == 200
    assert claim(coordinator).status_code == 204
    assert coordinator.post(f"/jobs/{job['id']}/resume").status_code == 200
    assert claim(coordinator).status_code == 200


def test_a_cancelled_job_ends_its_lease_at_the_next_renewal(coordinator):
    job = new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    coordinator.post(f"/jobs/{job['id']}/cancel")
    renew = coordinator.post(f"/workers/leases/{lease}/renew", headers=AUTH)
    assert_error(renew, 409, error("LeaseLost"), "ended")


def test_a_lease_gives_the_voice_of_its_own_scene_only(coordinator):
    new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    builtin = coordinator.get(f"/workers/leases/{lease}/voice", headers=AUTH)
    assert builtin.status_code == 404 and builtin.json()["error"] == "voice_not_found"
    unknown = coordinator.get("/workers/leases/made-up/voice", headers=AUTH)
    assert unknown.status_code == 409 and unknown.json()["error"] == "lease_lost"


def test_worker_routes_need_the_worker_token_and_nothing_else_opens_them(make_client):
    client = make_client(worker_token=TOKEN, api_token="api-secret", local_worker=False)
    body = {"worker": "w", "engine": "fake"}
    api = {"Authorization": "Bearer api-secret"}
    refused = client.post("/workers/claim", json=body, headers=api)
    assert_error(refused, 401, error("WorkerTokenRequired"))
    assert client.post("/workers/claim", json=body).status_code == 401
    assert client.post("/workers/claim", json=body, headers=AUTH).status_code == 204
    # The worker token opens /metrics, and nothing of the users' API.
    assert client.get("/metrics", headers=AUTH).status_code == 200
    assert client.get("/metrics", headers=api).status_code == 200
    assert client.get("/metrics").status_code == 401
    assert client.get("/jobs", headers=AUTH).status_code == 401
    assert client.get("/workers", headers=AUTH).status_code == 401
    assert client.get("/workers", headers=api).status_code == 200


def test_without_a_worker_token_the_server_takes_no_workers(client):
    refused = client.post("/workers/claim", json={"worker": "w", "engine": "fake"}, headers=AUTH)
    assert_error(refused, 503, error("WorkersDisabled"), "CHATTERBOX_WORKER_TOKEN")
    assert client.get("/workers").json() == {"enabled": False, "workers": []}


def test_metrics_count_pending_scenes_and_the_coordinators_own_time(coordinator):
    job = new_job(coordinator)
    total = job["progress"]["total"]
    assert metric(coordinator, "chatterbox_scenes_pending") == total
    lease = claim(coordinator).json()["lease"]
    assert metric(coordinator, "chatterbox_scenes_running") == 1
    assert metric(coordinator, "chatterbox_scenes_pending") == total - 1
    submit(coordinator, lease, wav())
    assert metric(coordinator, "chatterbox_coordinator_seconds_count", step="claim") == 1
    assert metric(coordinator, "chatterbox_coordinator_seconds_count", step="submit") == 1
    assert metric(coordinator, "chatterbox_queue_wait_seconds_count") == 1
    response = coordinator.get("/metrics", headers=AUTH)
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")


def test_the_local_worker_and_remote_workers_share_one_job(make_client):
    client = make_client(worker_token=TOKEN, lease_seconds=30)  # local_worker on
    job = new_job(client, TEXT * 3)
    remote = 0
    while (got := claim(client)).status_code == 200:
        assert submit(client, got.json()["lease"], wav()).status_code == 200
        remote += 1
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    rows = takes(client, job["id"])
    assert [idx for idx, _ in rows] == list(range(1, done["progress"]["total"] + 1))
    local = metric(client, "chatterbox_scenes_completed_total", worker="local")
    assert local + remote == done["progress"]["total"]


def test_the_same_audio_sent_twice_at_once_is_stored_once_and_both_get_the_answer(coordinator):
    job = new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    body = wav()
    answers: list = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(submit(coordinator, lease, body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert takes(coordinator, job["id"]) == [(1, "first")]


def test_a_workers_scene_gets_its_image_off_the_request(coordinator):
    job = new_job(coordinator)
    got = claim(coordinator).json()
    assert submit(coordinator, got["lease"], wav()).status_code == 200

    def drawn() -> bool:
        scene = coordinator.get(f"/jobs/{job['id']}").json()["scenes"][0]
        return scene["image_status"] == "completed"

    assert wait_for(drawn)


def test_a_scene_a_worker_cannot_speak_fails_with_its_reason_and_retry_speaks_it(coordinator):
    job = new_job(coordinator)
    got = claim(coordinator).json()
    reason = {"code": "synthesis_failed", "message": "The card ran out of memory."}
    failed = coordinator.post(f"/workers/leases/{got['lease']}/fail", json=reason, headers=AUTH)
    assert failed.json() == {"failed": True}
    scene = coordinator.get(f"/jobs/{job['id']}").json()["scenes"][got["idx"] - 1]
    assert (scene["audio_status"], scene["error_code"]) == ("failed", "synthesis_failed")
    assert scene["error_message"] == reason["message"]
    again = coordinator.post(f"/workers/leases/{got['lease']}/fail", json=reason, headers=AUTH)
    assert_error(again, 409, error("LeaseLost"))
    while (more := claim(coordinator)).status_code == 200:
        assert submit(coordinator, more.json()["lease"], wav()).status_code == 200
    assert wait_job(coordinator, job["id"])["status"] == "failed"
    assert coordinator.post(f"/jobs/{job['id']}/retry").status_code == 200
    retried = claim(coordinator).json()
    assert retried["idx"] == got["idx"]
    assert submit(coordinator, retried["lease"], wav()).status_code == 200
    assert wait_job(coordinator, job["id"])["status"] == "completed"


def test_a_failure_report_must_say_what_failed(coordinator):
    new_job(coordinator)
    lease = claim(coordinator).json()["lease"]
    for body in ({"code": "Bad Code!", "message": "x"}, {"code": "x", "message": ""}, {}):
        answer = coordinator.post(f"/workers/leases/{lease}/fail", json=body, headers=AUTH)
        assert answer.status_code == 422, body

"""Pull workers over HTTP with leases (issue 19): a Piper coordinator that only coordinates, three
real Piper worker processes (one behind a proxy that can stall) and hand-made workers, and every
way a lease is lost: a worker killed, a late answer, two workers on one scene, the coordinator
restarted, a network stall longer than the lease, a wrong token or a lease not held.

After each case every scene was spoken exactly once: one take (reason 'first') a scene, one file
a scene in the job's scenes folder, the narration as long as its scenes together, and the
coordinator's SQLite intact."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf

from tests.helpers.cluster import (
    TOKEN,
    Coordinator,
    Fleet,
    HandWorker,
    assert_lost,
    claimed,
    expired,
    lease_expiries,
    metric,
    metrics,
    tone_wav,
    workers_seen,
)
from tests.helpers.proxy import StallingProxy
from tests.helpers.spoken import (
    SPOKEN,
    assert_spoken_once,
    completed,
    drop_unfinished,
    holders,
    lease_state,
    page_texts,
    scene_done,
    scene_files,
    scene_row,
    spoken_by,
    start_job,
    takes,
)
from tests.helpers.wait import wait_for

# ---- the coordinator and its workers -----------------------------------------------------------


@pytest.fixture(scope="module")
def coordinator(tmp_path_factory) -> Iterator[Coordinator]:
    node = Coordinator(tmp_path_factory.mktemp("coordinator"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def proxy(coordinator: Coordinator) -> Iterator[StallingProxy]:
    stall = StallingProxy(coordinator.port)
    try:
        yield stall
    finally:
        stall.close()


@pytest.fixture(scope="module")
def fleet(coordinator, proxy, tmp_path_factory) -> Iterator[Fleet]:
    """Started at the first test that needs real workers: the hand-made cases before it have the
    coordinator to themselves."""
    workers = Fleet(coordinator, proxy, tmp_path_factory.mktemp("workers"))
    try:
        yield workers
    finally:
        codes = workers.stop()
    # SIGTERM: each releases what it holds and exits 0 (the contract's stop).
    assert codes == dict.fromkeys(codes, 0), codes


# ---- hand-made workers: the coordinator to themselves ------------------------------------------


@pytest.fixture
def hands(coordinator) -> Iterator[tuple[HandWorker, HandWorker]]:
    first, second = HandWorker(coordinator.url, "hand-a"), HandWorker(coordinator.url, "hand-b")
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        # A case that failed half-way leaves the next one a clean queue.
        drop_unfinished(coordinator)


def test_worker_routes_take_only_the_worker_token_which_opens_nothing_else_but_metrics(
    coordinator, hands
):
    job_id = start_job(coordinator, page_texts(1, seed=1))
    routes = [
        ("POST", "/workers/claim"),
        ("POST", "/workers/leases/some-lease/renew"),
        ("GET", "/workers/leases/some-lease/voice"),
        ("PUT", "/workers/leases/some-lease/audio"),
        ("POST", "/workers/leases/some-lease/release"),
    ]
    wrong = [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": TOKEN},  # no scheme
        coordinator.auth,  # the API token opens no worker route
    ]
    body = {"worker": "intruder", "engine": "piper"}
    for headers in wrong:
        for method, path in routes:
            response = httpx.request(
                method, coordinator.url + path, headers=headers, json=body, timeout=30
            )
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["error"] == "worker_token_required", response.text
    assert scene_row(coordinator, job_id, 1)["audio_status"] == "pending"
    assert "intruder" not in {w["name"] for w in workers_seen(coordinator)}
    # The worker token opens /metrics and nothing of the API.
    worker = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(coordinator.url + "/metrics", headers=worker, timeout=30).status_code == 200
    for path in ("/jobs", "/workers", f"/jobs/{job_id}", "/voices"):
        response = httpx.get(coordinator.url + path, headers=worker, timeout=30)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"] == "token_required", response.text
    assert httpx.get(coordinator.url + "/metrics", timeout=30).status_code == 401

    first, _ = hands
    lease = claimed(first)
    assert (lease["job_id"], lease["idx"]) == (job_id, 1)
    assert first.submit(lease["lease"], tone_wav(1.0)).status_code == 200
    assert_spoken_once(coordinator, job_id)


def test_a_worker_gets_only_the_voice_of_the_scene_it_holds_and_bad_audio_changes_nothing(
    coordinator, hands
):
    first, second = hands
    job_id = start_job(coordinator, page_texts(1, seed=2))
    lease = claimed(first)
    assert lease["voice"]["kind"] == "builtin"
    voice = first.voice(lease["lease"])  # held, but Piper's own voice is no file
    assert voice.status_code == 404 and voice.json()["error"] == "voice_not_found", voice.text
    assert_lost(first.voice("not-a-lease"))
    expired(lease)
    again = claimed(second)  # the same scene, handed out again once the first lease ran out
    assert (again["job_id"], again["idx"]) == (lease["job_id"], lease["idx"])
    assert again["lease"] != lease["lease"]
    assert_lost(first.voice(lease["lease"]))
    assert_lost(first.renew(lease["lease"]))
    assert second.voice(again["lease"]).status_code == 404

    wav = tone_wav(1.5)
    wrong = second.submit(again["lease"], wav, sha256="0" * 64)
    assert wrong.status_code == 422 and wrong.json()["error"] == "checksum_mismatch", wrong.text
    noise = b"RIFF but not a wave file at all"
    unreadable = second.submit(again["lease"], noise)
    assert unreadable.status_code == 422, unreadable.text
    assert unreadable.json()["error"] == "audio_unreadable", unreadable.text
    assert takes(coordinator, job_id) == [] and scene_files(coordinator, job_id) == []
    assert scene_row(coordinator, job_id, 1)["audio_status"] == "processing"

    assert second.renew(again["lease"]).status_code == 200  # still its own
    done = second.submit(again["lease"], wav)
    assert done.status_code == 200, done.text
    assert done.json() == {"job_id": job_id, "idx": 1, "take": 1}
    assert_spoken_once(coordinator, job_id)


def test_an_answer_after_the_lease_expired_is_refused_and_changes_nothing(coordinator, hands):
    late, other = hands
    job_id = start_job(coordinator, page_texts(1, seed=3))
    lease = claimed(late)
    expired(lease)
    assert_lost(late.renew(lease["lease"]))
    assert_lost(late.submit(lease["lease"], tone_wav(1.0)))  # expired, not yet handed out again
    assert takes(coordinator, job_id) == [] and scene_files(coordinator, job_id) == []
    assert scene_row(coordinator, job_id, 1)["audio_status"] != "completed"

    again = claimed(other)
    assert (again["job_id"], again["idx"]) == (job_id, 1)
    first = other.submit(again["lease"], tone_wav(2.0))
    assert first.status_code == 200 and first.json()["take"] == 1, first.text
    completed(coordinator, job_id)  # assembled: nothing more is written to the scene's row
    before = scene_row(coordinator, job_id, 1)
    audio = Path(before["audio_path"]).read_bytes()

    assert_lost(late.submit(lease["lease"], tone_wav(1.0, pitch=440.0)))  # re-leased and done
    repeat = other.submit(again["lease"], tone_wav(2.0))  # its answer was lost: the same take
    assert repeat.status_code == 200 and repeat.json() == first.json(), repeat.text
    assert scene_row(coordinator, job_id, 1) == before
    assert Path(before["audio_path"]).read_bytes() == audio
    assert sf.info(before["audio_path"]).duration == pytest.approx(2.0, abs=0.01)
    assert_spoken_once(coordinator, job_id)


def test_two_workers_answering_for_a_reclaimed_scene_at_once_make_one_take(coordinator, hands):
    first, second = hands
    job_id = start_job(coordinator, page_texts(1, seed=4))
    old = claimed(first)
    expired(old)
    new = claimed(second)
    assert (new["job_id"], new["idx"]) == (old["job_id"], old["idx"])
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def answer(worker: HandWorker, lease: dict[str, Any], seconds: float) -> None:
        wav = tone_wav(seconds)
        start.wait(timeout=30)
        answers[worker.name] = worker.submit(lease["lease"], wav)

    threads = [
        threading.Thread(target=answer, args=(first, old, 1.0)),
        threading.Thread(target=answer, args=(second, new, 1.25)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.status_code for r in answers.values()) == [200, 409], answers
    assert answers["hand-b"].status_code == 200, answers["hand-b"].text  # the live lease wins
    assert_lost(answers["hand-a"])
    job = assert_spoken_once(coordinator, job_id)
    assert job["scenes"][0]["duration_seconds"] == pytest.approx(1.25, abs=0.01)


# ---- real workers ------------------------------------------------------------------------------


def test_a_worker_killed_while_it_holds_a_lease_loses_the_scene_to_another_worker(
    coordinator, fleet
):
    """SIGSTOP first, so the lease read back is one the worker still holds, then SIGKILL. An
    answer it had sent just before the stop can still land (its lease then ends 'done'); then
    the case is tried again on another scene, a fresh worker in the dead one's place."""
    job_id = start_job(coordinator, page_texts(9, seed=5))
    expiries = lease_expiries(coordinator)
    lost = None
    for _attempt in range(3):
        direct = {n for n, w in fleet.workers.items() if w.coordinator_url == coordinator.url}
        name = wait_for(
            lambda d=direct: next((n for n in holders(coordinator, job_id) if n in d), None),
            SPOKEN,
            0.02,
        )
        victim = fleet.workers[name]
        victim.signal(signal.SIGSTOP)
        held = holders(coordinator, job_id).get(name)
        if held is None:  # it answered in between
            victim.signal(signal.SIGCONT)
            continue
        victim.kill()
        lease, idx = held
        scene_done(coordinator, job_id, idx)
        fleet.replace(name)
        if lease_state(coordinator, lease) == "expired":
            lost = (name, idx)
            break
        assert lease_state(coordinator, lease) == "done"  # its answer was in flight
    assert lost is not None, "each killed worker's answer was in flight when it was stopped"
    name, idx = lost
    [speaker] = spoken_by(coordinator, job_id, idx)
    assert speaker != name
    assert lease_expiries(coordinator) > expiries
    assert_spoken_once(coordinator, job_id)


def test_a_stall_longer_than_the_lease_loses_the_scene_and_the_stalled_worker_carries_on(
    coordinator, fleet, proxy
):
    """w3 talks through the proxy. Frozen while w3 holds a lease, the lease runs out and another
    worker speaks the scene; thawed, w3's renew or answer for it is refused (409) and w3 asks for
    work again. (An answer w3 had sent just before the freeze can land first: then the case is
    tried again on w3's next lease.)"""
    stalled = "w3"
    job_id = start_job(coordinator, page_texts(9, seed=6))
    refused = None
    for _attempt in range(3):
        wait_for(lambda: stalled in holders(coordinator, job_id), SPOKEN, 0.02)
        proxy.freeze()
        held = holders(coordinator, job_id).get(stalled)
        if held is None:  # it answered in between
            proxy.thaw()
            continue
        lease, idx = held
        scene_done(coordinator, job_id, idx)
        claims = sum(path == "/workers/claim" for _, path, _ in proxy.exchanges())
        proxy.thaw()
        if lease_state(coordinator, lease) == "expired":
            refused = (lease, idx)
            break
        assert lease_state(coordinator, lease) == "done"  # its answer was in flight
    assert refused is not None, "each stalled answer was in flight when the proxy froze"
    lease, idx = refused
    [speaker] = spoken_by(coordinator, job_id, idx)
    assert speaker != stalled

    def answered() -> list[tuple[str, str, int]]:
        return [(m, p, status) for m, p, status in proxy.exchanges() if lease in p]

    wait_for(lambda: any(status == 409 for _, _, status in answered()), SPOKEN, 0.05)
    assert all(status in (200, 409) for _, _, status in answered()), answered()
    assert all(status == 409 for m, _, status in answered() if m == "PUT"), answered()
    wait_for(
        lambda: sum(path == "/workers/claim" for _, path, _ in proxy.exchanges()) > claims,
        SPOKEN,
        0.05,
    )  # it carried on: it asked for work again, and was answered
    assert fleet.workers[stalled].process.poll() is None
    assert_spoken_once(coordinator, job_id)


def test_a_worker_stopped_with_sigterm_gives_its_scene_back_and_exits_0(coordinator, fleet):
    job_id = start_job(coordinator, page_texts(6, seed=9))
    direct = {n for n, w in fleet.workers.items() if w.coordinator_url == coordinator.url}
    name = wait_for(
        lambda: next((n for n in holders(coordinator, job_id) if n in direct), None), SPOKEN, 0.02
    )
    lease, idx = holders(coordinator, job_id)[name]
    expiries = lease_expiries(coordinator)
    leaving = fleet.workers[name]
    assert leaving.stop() == 0
    state = lease_state(coordinator, lease)
    assert state in ("released", "done"), state  # given back, or spoken just before the signal
    fleet.replace(name)
    scene_done(coordinator, job_id, idx)
    job = assert_spoken_once(coordinator, job_id)
    assert lease_expiries(coordinator) == expiries  # nothing waited for a lease to run out
    assert len(job["scenes"]) == 6


def test_metrics_count_each_workers_scenes_as_get_workers_does(coordinator, fleet):
    """Both count since the coordinator started (so this runs before the restart below)."""
    assert_spoken_once(coordinator, start_job(coordinator, page_texts(3, seed=10)))
    text = metrics(coordinator)
    for name in (
        "chatterbox_scenes_pending",
        "chatterbox_scenes_running",
        "chatterbox_workers",
        "chatterbox_queue_wait_seconds_count",
        "chatterbox_lease_expiries_total",
    ):
        assert name in text, name
    seen = {w["name"]: w for w in workers_seen(coordinator)}
    assert set(fleet.workers) <= set(seen)
    for name, worker in seen.items():
        done = metric(text, "chatterbox_scenes_completed_total", worker=name)
        assert done == worker["scenes"], (name, done, worker)
        if done:
            assert metric(text, "chatterbox_engine_seconds_total", worker=name) > 0, name
    assert sum(w["scenes"] for w in seen.values()) >= 3
    for name, worker in fleet.workers.items():  # and each says so, a line a scene
        wait_for(lambda w=worker, n=name: w.scenes_logged() == seen[n]["scenes"], 30, 0.05)
    assert metric(text, "chatterbox_scenes_pending") == 0  # every job so far is done
    assert metric(text, "chatterbox_scenes_running") == 0
    for step in ("claim", "submit"):
        assert metric(text, "chatterbox_coordinator_seconds_count", step=step) > 0, step


def test_the_coordinator_stopped_and_started_mid_job_loses_nothing_as_the_workers_carry_on(
    coordinator, fleet
):
    job_id = start_job(coordinator, page_texts(8, seed=8))
    wait_for(lambda: len(holders(coordinator, job_id)) >= 2, SPOKEN, 0.02)  # workers busy
    coordinator.stop()  # SIGTERM, while they speak
    left = coordinator.rows(
        "SELECT idx FROM scenes WHERE job_id = ? AND audio_status != 'completed'", job_id
    )
    assert left, "the job ended before the coordinator stopped"
    coordinator.start()  # same port, same data folder; only the workers speak
    assert_spoken_once(coordinator, job_id)
    assert all(worker.process.poll() is None for worker in fleet.workers.values())
    fleet.wait_seen(set(fleet.workers))

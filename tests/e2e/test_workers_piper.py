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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf

from tests.helpers.cluster import (
    LEASE_SECONDS,
    TOKEN,
    Coordinator,
    HandWorker,
    WorkerProcess,
    metric,
    tone_wav,
)
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.proxy import StallingProxy
from tests.helpers.wait import wait_for

PEOPLE = ["The baker", "A tall sailor", "My cousin", "The mayor", "An old painter", "The twins"]
DEEDS = [
    "opened the shop before dawn",
    "counted the boats in the harbour",
    "planted beans behind the house",
    "painted the gate a bright blue",
    "found a coin under the bench",
    "sang quietly on the way home",
    "carried water up the hill",
]
SPOKEN = 120  # seconds a job of real workers may take at most, on a busy 2-core machine


def page_texts(count: int, seed: int = 0) -> list[str]:
    """`count` pages of two short sentences each, different for each seed."""
    return [
        f"{PEOPLE[(seed + i) % len(PEOPLE)]} {DEEDS[(seed + 2 * i) % len(DEEDS)]}. "
        f"{PEOPLE[(seed + i + 3) % len(PEOPLE)]} {DEEDS[(seed + 3 * i + 1) % len(DEEDS)]}."
        for i in range(count)
    ]


# ---- the coordinator, its workers and what they left ------------------------------------------


class Fleet:
    """Three Piper workers: w1 and w2 straight to the coordinator, w3 through `proxy`. A worker
    killed is replaced by a new one of a new name, so three keep working."""

    def __init__(self, coordinator: Coordinator, proxy: StallingProxy, folder: Path) -> None:
        self.coordinator = coordinator
        self.proxy = proxy
        self.folder = folder
        self.workers: dict[str, WorkerProcess] = {}
        self.gone: dict[str, WorkerProcess] = {}
        for name, url in (("w1", coordinator.url), ("w2", coordinator.url), ("w3", proxy.url)):
            self.add(name, url)
        self.wait_seen(set(self.workers))

    def add(self, name: str, url: str) -> WorkerProcess:
        self.workers[name] = WorkerProcess(name, url, self.folder / name)
        return self.workers[name]

    def replace(self, name: str) -> str:
        """The killed worker `name` out, a fresh one in; the new one's name."""
        self.gone[name] = self.workers.pop(name)
        new = f"{name}b"
        self.add(new, self.gone[name].coordinator_url)
        self.wait_seen({new})
        return new

    def wait_seen(self, names: set[str]) -> None:
        """Until GET /workers lists every one of `names` (each has asked for work)."""
        wait_for(lambda: names <= {w["name"] for w in workers_seen(self.coordinator)}, 120, 0.2)

    def stop(self) -> dict[str, int]:
        codes = {name: worker.stop() for name, worker in self.workers.items()}
        for worker in self.gone.values():
            worker.stop()
        return codes


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


def workers_seen(coordinator: Coordinator) -> list[dict[str, Any]]:
    response = httpx.get(coordinator.url + "/workers", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["workers"]


def metrics(coordinator: Coordinator) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.get(coordinator.url + "/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def start_job(coordinator: Coordinator, pages: list[str]) -> str:
    files = {"file": ("book.pdf", pdf_from_pages(pages), "application/pdf")}
    response = httpx.post(coordinator.url + "/jobs", files=files, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def get_job(coordinator: Coordinator, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{coordinator.url}/jobs/{job_id}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def completed(coordinator: Coordinator, job_id: str, timeout: float = SPOKEN) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = get_job(coordinator, job_id)
        assert job["status"] not in ("failed", "cancelled"), job
        return job if job["status"] == "completed" else None

    return wait_for(done, timeout, 0.2)


def takes(coordinator: Coordinator, job_id: str) -> list[tuple[int, int, str]]:
    rows = coordinator.rows(
        "SELECT idx, number, reason FROM takes WHERE job_id = ? ORDER BY idx, number", job_id
    )
    return [(row["idx"], row["number"], row["reason"]) for row in rows]


def scene_files(coordinator: Coordinator, job_id: str) -> list[Path]:
    folder = coordinator.data_dir / "jobs" / job_id / "scenes"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def assert_spoken_once(coordinator: Coordinator, job_id: str) -> dict[str, Any]:
    """The job completed, each scene by exactly one take; the narration is its scenes end to end
    (no pause, no crossfade: COORDINATOR_ENV); the database intact."""
    job = completed(coordinator, job_id)
    scenes = job["scenes"]
    assert scenes and all(scene["audio_status"] == "completed" for scene in scenes), scenes
    assert takes(coordinator, job_id) == [(scene["idx"], 1, "first") for scene in scenes]
    files = scene_files(coordinator, job_id)
    assert [path.name[:5] for path in files] == [f"{scene['idx']:05d}" for scene in scenes]
    assert {Path(scene["audio_path"]) for scene in scenes} == set(files)
    narration = sf.info(job["final_audio_path"])
    assert narration.frames == sum(sf.info(path).frames for path in files)
    assert {sf.info(path).samplerate for path in files} == {narration.samplerate}
    assert coordinator.rows("PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    return job


# ---- hand-made workers: the coordinator to themselves ------------------------------------------


@pytest.fixture
def hands(coordinator) -> Iterator[tuple[HandWorker, HandWorker]]:
    first, second = HandWorker(coordinator.url, "hand-a"), HandWorker(coordinator.url, "hand-b")
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def claimed(worker: HandWorker, timeout: float = 30) -> dict[str, Any]:
    """The next lease (204 while nothing waits: a lost lease is handed out again only after its
    deadline, and a job's first scene only once its page is read)."""

    def claim() -> dict[str, Any] | None:
        response = worker.claim()
        assert response.status_code in (200, 204), response.text
        return response.json() if response.status_code == 200 else None

    return wait_for(claim, timeout, 0.05)


def expired(lease: dict[str, Any]) -> None:
    """Until the coordinator's clock (this machine's) is past the lease's deadline."""
    wait_for(lambda: time.time() > lease["deadline"], lease["lease_seconds"] * 3, 0.05)


def assert_lost(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "lease_lost", response.text


def scene_row(coordinator: Coordinator, job_id: str, idx: int) -> dict[str, Any]:
    [row] = coordinator.rows("SELECT * FROM scenes WHERE job_id = ? AND idx = ?", job_id, idx)
    return row


def test_the_worker_routes_refuse_a_missing_or_wrong_token_and_hand_out_nothing(
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
    wrong = [{}, {"Authorization": "Bearer not-the-token"}, {"Authorization": TOKEN}]
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

"""LeaseStore on a real jobs file: claims in queue order, deadlines on a hand-moved clock, the
lease consumed in the take's own commit, and a restart that leaves leased scenes alone."""

from __future__ import annotations

import pytest

from backend.core.errors import LeaseLost
from backend.jobs.leases import LeaseStore, consume
from backend.jobs.store import JobStore
from backend.jobs.store_takes import TakeStore
from tests.helpers.clock import ManualClock


@pytest.fixture
def stores(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    jobs, clock = JobStore(path), ManualClock()
    leases, takes = LeaseStore(path, clock.time), TakeStore(path, keep=5)
    yield jobs, leases, takes, clock
    for store in (takes, leases, jobs):
        store.close()


def text_job(jobs: JobStore, scenes: int = 3, engine: str = "piper") -> str:
    job = jobs.create_job("t", "text", None, None, {}, None)
    jobs.add_scenes(job["id"], [{"text": f"Scene {n}."} for n in range(1, scenes + 1)])
    jobs.set_extraction(job["id"], "completed")
    jobs.record_engine(job["id"], engine, "m", 22050, 400)
    return job["id"]


def any_engine(job: dict) -> bool:
    return True


def take_record(path: str) -> dict:
    return {"reason": "first", "text": "Scene.", "audio_path": path, "duration_seconds": 1.0}


def test_claims_hand_out_each_pending_scene_once_in_order(stores):
    jobs, leases, _, _ = stores
    first, second = text_job(jobs, 2), text_job(jobs, 1)
    got = [leases.claim([first, second], f"w{n}", 30, any_engine) for n in range(3)]
    assert [(lease.job_id, lease.idx) for lease, _, _ in got] == [
        (first, 1),
        (first, 2),
        (second, 1),
    ]
    assert leases.claim([first, second], "w9", 30, any_engine) is None
    assert jobs.get_scene(first, 1)["audio_status"] == "processing"
    assert {lease.worker for lease in leases.holding()} == {"w0", "w1", "w2"}


def test_a_scene_of_another_engine_is_not_handed_out(stores):
    jobs, leases, _, _ = stores
    job = text_job(jobs, engine="chatterbox")
    assert leases.claim([job], "w", 30, lambda j: j["engine"] == "piper") is None
    assert jobs.get_scene(job, 1)["audio_status"] == "pending"


def test_an_expired_lease_gives_its_scene_back_and_can_no_longer_be_consumed(stores):
    jobs, leases, takes, clock = stores
    job = text_job(jobs, 1)
    lease, _, _ = leases.claim([job], "w", 30, any_engine)
    clock.advance(30)
    assert [gone.id for gone in leases.expire()] == [lease.id]
    assert jobs.get_scene(job, 1)["audio_status"] == "pending"
    with pytest.raises(LeaseLost):
        takes.add_take(
            job,
            1,
            take_record("/x.wav"),
            True,
            guard=lambda db: consume(db, lease.id, job, 1, clock.time(), "ab" * 32),
        )
    assert takes.list_takes(job, 1) == []  # the commit rolled back: no row
    assert leases.get(lease.id).state == "expired"


def test_a_lease_inside_its_deadline_is_consumed_with_the_take_once(stores):
    jobs, leases, takes, clock = stores
    job = text_job(jobs, 1)
    lease, _, _ = leases.claim([job], "w", 30, any_engine)
    clock.advance(29)

    def guard(db):
        consume(db, lease.id, job, 1, clock.time(), "ab" * 32)

    number, _ = takes.add_take(job, 1, take_record("/a.wav"), True, guard=guard)
    assert number == 1 and jobs.get_scene(job, 1)["audio_status"] == "completed"
    with pytest.raises(LeaseLost):
        takes.add_take(job, 1, take_record("/b.wav"), True, guard=guard)
    assert [take["audio_path"] for take in takes.list_takes(job, 1)] == ["/a.wav"]


def test_renewal_moves_the_deadline_and_a_lapsed_lease_cannot_be_renewed(stores):
    jobs, leases, _, clock = stores
    job = text_job(jobs, 1)
    lease, _, _ = leases.claim([job], "w", 30, any_engine)
    clock.advance(25)
    assert leases.renew(lease.id, 30).deadline == clock.time() + 30
    clock.advance(29)
    assert leases.expire() == []
    clock.advance(1)
    with pytest.raises(LeaseLost):
        leases.renew(lease.id, 30)


def test_a_restart_requeues_unleased_scenes_and_keeps_the_leased_ones(stores, tmp_path):
    jobs, leases, _, _ = stores
    job = text_job(jobs, 3)
    jobs.claim_next_scene(job)  # the local engine's: the restart requeues it
    lease, _, _ = leases.claim([job], "w", 30, any_engine)  # a worker's: it carries on
    assert job in jobs.recover()
    assert jobs.get_scene(job, 1)["audio_status"] == "pending"
    assert jobs.get_scene(job, lease.idx)["audio_status"] == "processing"
    assert leases.active(lease.id).idx == 2


def test_a_released_lease_puts_the_scene_back_at_once(stores):
    jobs, leases, _, _ = stores
    job = text_job(jobs, 1)
    lease, _, _ = leases.claim([job], "w", 30, any_engine)
    assert leases.release(lease.id) is True
    assert leases.release(lease.id) is False
    assert jobs.get_scene(job, 1)["audio_status"] == "pending"
    assert leases.claim([job], "w2", 30, any_engine)[0].idx == 1


def test_deleting_a_job_takes_its_leases_with_it(stores):
    jobs, leases, _, _ = stores
    job = text_job(jobs, 1)
    lease, _, _ = leases.claim([job], "w", 30, any_engine)
    jobs.delete_job(job)
    with pytest.raises(LeaseLost):
        leases.get(lease.id)

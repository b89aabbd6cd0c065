"""Tests for backend/jobs/queue.py: the order jobs run in, pauses and pause-all, on real SQLite
files, kept by a restart (a new JobStore and JobQueue on the same file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.core.errors import JobEnded, JobNotFound, QueueOrderInvalid
from backend.jobs.queue import JobQueue
from backend.jobs.store import JobStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db" / "jobs.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[JobStore]:
    store = JobStore(db)
    yield store
    store.close()


@pytest.fixture
def queue(db: Path, store: JobStore) -> Iterator[JobQueue]:
    queue = JobQueue(db)
    yield queue
    queue.close()


def make_job(store: JobStore, title: str, scenes: int = 2) -> str:
    job_id = store.create_job(title, "text", None, None, {}, None)["id"]
    store.add_scenes(job_id, [{"text": f"{title} part {n}."} for n in range(scenes)])
    store.set_extraction(job_id, "completed")
    return job_id


def finish(store: JobStore, job_id: str) -> None:
    while (scene := store.claim_next_scene(job_id)) is not None:
        store.complete_scene(job_id, scene["idx"], "x.wav", 1.0, 0.1)
    assert store.finish_job_if_done(job_id) == "completed"


def order(store: JobStore) -> list[str]:
    """The unfinished jobs' ids by queue_position."""
    jobs = [job for job in store.list_jobs() if job["queue_position"] is not None]
    return [job["id"] for job in sorted(jobs, key=lambda job: job["queue_position"])]


def test_jobs_run_oldest_first_until_reordered(store, queue):
    a, b, c = (make_job(store, name) for name in "abc")
    assert queue.runnable([c, a, b]) == [a, b, c]
    assert order(store) == [a, b, c]
    assert [store.get_job(j)["queue_position"] for j in (a, b, c)] == [1, 2, 3]


def test_reorder_puts_the_named_jobs_first_and_keeps_the_rest_in_their_order(store, queue):
    a, b, c, d = (make_job(store, name) for name in "abcd")
    queue.reorder([c, a])
    assert order(store) == [c, a, b, d]
    assert queue.runnable([a, b, c, d]) == [c, a, b, d]
    priorities = [store.get_job(j)["priority"] for j in (c, a, b, d)]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == 4


def test_a_new_job_joins_behind_equal_priorities_and_reorder_can_move_it_up(store, queue):
    a, b = make_job(store, "a"), make_job(store, "b")
    queue.reorder([b, a])
    c = make_job(store, "c")  # priority 0: after the reordered ones
    assert order(store) == [b, a, c]
    queue.reorder([c])
    assert order(store) == [c, b, a]


def test_ended_jobs_have_no_position_and_cannot_be_queued(store, queue):
    a, b = make_job(store, "a"), make_job(store, "b")
    finish(store, a)
    assert store.get_job(a)["queue_position"] is None
    assert store.get_job(b)["queue_position"] == 1
    with pytest.raises(JobEnded):
        queue.reorder([b, a])
    with pytest.raises(JobEnded):
        queue.pause(a)
    assert store.get_job(b)["priority"] == 0  # the refused order changed nothing


def test_reorder_refuses_an_unknown_job_or_one_named_twice_and_changes_nothing(store, queue):
    a, b = make_job(store, "a"), make_job(store, "b")
    with pytest.raises(JobNotFound):
        queue.reorder([b, "nope"])
    with pytest.raises(QueueOrderInvalid, match=b):
        queue.reorder([b, a, b])
    assert order(store) == [a, b]


def test_a_paused_job_keeps_its_place_but_is_not_runnable_and_yields_no_scene(store, queue):
    a, b = make_job(store, "a"), make_job(store, "b")
    queue.pause(a)
    job = store.get_job(a)
    assert job["paused"] is True and job["queue_position"] == 1
    assert queue.runnable([a, b]) == [b]
    assert store.claim_next_scene(a) is None  # refused in the claim's own transaction
    queue.resume(a)
    assert queue.runnable([a, b]) == [a, b]
    assert store.claim_next_scene(a)["idx"] == 1


def test_runnable_lists_ended_and_deleted_jobs_last_so_the_worker_lets_them_go(store, queue):
    a, b, c = (make_job(store, name) for name in "abc")
    finish(store, a)
    store.delete_job(b)
    assert queue.runnable([b, a, c]) == [c, a, b]
    assert queue.runnable([]) == []


def test_pause_all_pauses_every_unfinished_job_and_new_jobs_start_paused(store, queue):
    a, b, c = (make_job(store, name) for name in "abc")
    finish(store, c)
    queue.pause(a)
    assert queue.pause_all() == 1  # b; a was paused already, c has ended
    assert queue.paused_all() is True
    d = make_job(store, "d")
    assert store.get_job(d)["paused"] is True
    assert store.get_job(c)["paused"] is False
    assert queue.runnable([a, b, d]) == []
    assert queue.resume_all() == 3
    assert queue.paused_all() is False
    assert queue.runnable([a, b, d]) == [a, b, d]
    assert store.get_job(make_job(store, "e"))["paused"] is False


def test_resuming_one_job_under_pause_all_runs_that_job_alone(store, queue):
    a, b = make_job(store, "a"), make_job(store, "b")
    queue.pause_all()
    queue.resume(b)
    assert queue.runnable([a, b]) == [b]
    assert queue.paused_all() is True


def test_a_restart_keeps_the_order_the_pauses_and_pause_all(db, store, queue):
    a, b, c = (make_job(store, name) for name in "abc")
    queue.reorder([c, b, a])
    queue.pause(b)
    queue.pause_all()
    queue.resume(c)
    store.recover()
    queue.close()
    store.close()

    again, requeue = JobStore(db), JobQueue(db)
    try:
        assert order(again) == [c, b, a]
        assert [again.get_job(j)["paused"] for j in (c, b, a)] == [False, True, True]
        assert requeue.paused_all() is True
        assert requeue.runnable(again.recover()) == [c]
    finally:
        requeue.close()
        again.close()

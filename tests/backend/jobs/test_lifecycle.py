"""The job state machine (backend.jobs.lifecycle) through a real JobStore in tmp_path: the moves
it has, the moves it refuses, and the re-split of unfinished scenes for another engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.jobs import lifecycle
from backend.jobs.lifecycle import IllegalMove
from backend.jobs.store import JobStore


@pytest.fixture
def store(tmp_path: Path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    yield store
    store.close()


def new_job(store: JobStore, texts: list[str], kind: str = "text", **scene: Any) -> str:
    job_id = store.create_job("Title", kind, None, "builtin", {}, None)["id"]
    store.add_scenes(job_id, [{"text": text, **scene} for text in texts])
    return job_id


def statuses(store: JobStore, job_id: str) -> list[str]:
    return [s["audio_status"] for s in store.get_job(job_id)["scenes"]]


def test_every_table_names_only_known_statuses_and_ended_jobs_stay_ended_but_for_retry() -> None:
    for moves, known in (
        (lifecycle.JOB_MOVES, lifecycle.JOB_STATUSES),
        (lifecycle.EXTRACTION_MOVES, lifecycle.STEP_STATUSES),
        (lifecycle.SCENE_MOVES, lifecycle.STEP_STATUSES),
        (lifecycle.IMAGE_MOVES, lifecycle.STEP_STATUSES),
    ):
        assert set(moves) == set(known)
        assert all(set(targets) <= set(known) for targets in moves.values())
    assert lifecycle.JOB_MOVES["completed"] == ()
    assert lifecycle.JOB_MOVES["failed"] == lifecycle.JOB_MOVES["cancelled"] == ("pending",)
    assert lifecycle.SCENE_MOVES["completed"] == ()


@pytest.mark.parametrize(
    "move",
    [
        lambda s, j: s.complete_scene(j, 1, "/a.wav", 1.0, 0.1),  # never claimed
        lambda s, j: s.fail_scene(j, 1, "synthesis_failed", "boom"),
        lambda s, j: s.set_extraction(j, "completed") or s.set_extraction(j, "processing"),
        lambda s, j: s.set_extraction(j, "failed") or s.set_extraction(j, "pending"),
    ],
)
def test_moves_the_machine_does_not_have_are_refused(store: JobStore, move: Any) -> None:
    job_id = new_job(store, ["One scene."])
    with pytest.raises(IllegalMove):
        move(store, job_id)


def test_a_completed_scene_and_a_completed_job_never_move_again(store: JobStore) -> None:
    job_id = new_job(store, ["One scene."])
    store.set_extraction(job_id, "completed")
    store.complete_scene(job_id, store.claim_next_scene(job_id)["idx"], "/a.wav", 1.0, 0.1)
    assert store.finish_job_if_done(job_id) == "completed"
    with pytest.raises(IllegalMove):
        store.fail_scene(job_id, 1, "synthesis_failed", "late")
    assert store.requeue_scene(job_id, 1) is False
    with pytest.raises(IllegalMove):
        store.set_job_status(job_id, "pending")
    assert (store.retry_job(job_id), store.cancel_job(job_id)) == (0, "completed")


def test_a_paused_extraction_resumes_and_a_failed_one_fails_the_job_with_its_solution(
    store: JobStore,
) -> None:
    job_id = new_job(store, [], kind="pdf")
    store.set_extraction(job_id, "processing")
    store.pause_extraction(job_id)
    assert store.get_job(job_id)["extraction_status"] == "pending"
    store.fail_job(job_id, "job_source_missing", "Gone.", "Upload it again.")
    job = store.get_job(job_id)
    assert (job["status"], job["extraction_status"]) == ("failed", "failed")
    assert (job["error_code"], job["error_message"], job["error_solution"]) == (
        "job_source_missing",
        "Gone.",
        "Upload it again.",
    )


def test_a_resplit_for_a_longer_scene_joins_only_unfinished_scenes(store: JobStore) -> None:
    texts = [f"Scene {n} is a sentence of a story." for n in range(1, 7)]
    job_id = new_job(store, texts)
    for _ in range(2):  # scenes 1 and 2 are done under the first engine
        store.complete_scene(job_id, store.claim_next_scene(job_id)["idx"], "/a.wav", 1.0, 0.1)
    assert store.resplit(job_id, 80) is True
    scenes = store.get_job(job_id)["scenes"]
    assert [s["idx"] for s in scenes] == list(range(1, len(scenes) + 1))
    assert [s["text"] for s in scenes[:2]] == texts[:2]
    assert [s["audio_status"] for s in scenes[:2]] == ["completed", "completed"]
    assert len(scenes) < len(texts) and all(len(s["text"]) <= 80 for s in scenes)
    assert " ".join(s["text"] for s in scenes) == " ".join(texts)
    assert store.resplit(job_id, 80) is False  # already split for 80: nothing changes


def test_a_resplit_for_a_shorter_scene_splits_failed_ones_and_keeps_them_on_their_page(
    store: JobStore,
) -> None:
    long = "A first sentence of this page. A second one follows it. A third ends the page."
    job_id = store.create_job("Book", "pdf", None, "builtin", {}, None)["id"]
    store.add_scenes(job_id, [{"text": long, "page": 1, "bbox": [0, 0, 10, 10], "chapter": "A"}])
    store.add_scenes(job_id, [{"text": long, "page": 2, "bbox": [0, 5, 20, 30], "chapter": "A"}])
    store.fail_scene(job_id, store.claim_next_scene(job_id)["idx"], "synthesis_failed", "boom")
    assert store.resplit(job_id, 40) is True
    scenes = store.get_job(job_id)["scenes"]
    assert all(len(s["text"]) <= 40 for s in scenes)
    assert set(statuses(store, job_id)) == {"pending"}  # the failed one is spoken again
    for page, bbox in ((1, [0, 0, 10, 10]), (2, [0, 5, 20, 30])):
        mine = [s for s in scenes if s["page"] == page]
        assert " ".join(s["text"] for s in mine) == long  # no scene crosses a page
        assert all(s["bbox"] == bbox and s["chapter"] == "A" for s in mine)


def test_no_resplit_while_a_scene_is_being_spoken(store: JobStore) -> None:
    job_id = new_job(store, ["One sentence here.", "Another sentence there."])
    store.claim_next_scene(job_id)
    assert store.resplit(job_id, 10) is False
    assert [s["text"] for s in store.get_job(job_id)["scenes"]] == [
        "One sentence here.",
        "Another sentence there.",
    ]

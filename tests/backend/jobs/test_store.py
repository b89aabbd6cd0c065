"""Tests for backend/jobs/store.py: the SQLite record of jobs and scenes, on real files."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from backend.core.errors import JobNotFound, SceneNotFound
from backend.jobs.store import JobStore
from backend.jobs.store_schema import MIGRATIONS, SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[3]
STATES = {"pending", "processing", "completed", "failed"}


def page_scenes(page: int, count: int = 2) -> list[dict[str, Any]]:
    return [
        {"text": f"Page {page}, part {n}.", "page": page, "bbox": [0, n, 10, n + 1], "chapter": "I"}
        for n in range(count)
    ]


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "db" / "jobs.sqlite3")


def new_job(store: JobStore, scenes: int = 0, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "title": "Chapter one",
        "source_kind": "text",
        "source_path": "/data/jobs/x/source.txt",
        "voice": "grandma-rose",
        "params": {"exaggeration": 0.5},
        "pages": None,
    } | overrides
    job_id = store.create_job(**fields)["id"]
    if scenes:
        store.add_scenes(job_id, [{"text": f"Scene {n}."} for n in range(scenes)])
    return job_id


def claim_all(store: JobStore, job_id: str) -> list[int]:
    claimed = []
    while (scene := store.claim_next_scene(job_id)) is not None:
        claimed.append(scene["idx"])
    return claimed


# ---- set-up and restart ---------------------------------------------------------------------


def test_database_uses_wal_foreign_keys_and_records_its_schema_version(store: JobStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.integrity_check() == "ok"


def test_a_second_store_on_the_same_file_sees_the_data_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    first = JobStore(path)
    job_id = new_job(first, scenes=3)
    first.complete_scene(job_id, first.claim_next_scene(job_id)["idx"], "/a/1.wav", 2.5, 0.8)
    first.close()

    second = JobStore(path)  # the schema is already there: opening again changes nothing
    job = second.get_job(job_id)
    assert job["progress"] == {
        "total": 3,
        "pending": 2,
        "processing": 0,
        "completed": 1,
        "failed": 0,
        "retaken": 0,
        "voice_converted": 0,
    }
    assert job["scenes"][0]["audio_path"] == "/a/1.wav"
    assert job["params"] == {"exaggeration": 0.5}


def test_a_database_from_a_newer_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    JobStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        JobStore(path)


def test_a_version_1_database_gains_the_speaker_similarity_column_and_keeps_its_scenes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(path) as old:  # as a server from before the speaker check left it
        for statement in MIGRATIONS[0]:
            old.execute(statement)
        old.execute(
            "INSERT INTO jobs (id, title, source_kind, created_at, updated_at)"
            " VALUES ('j1', 'Old', 'text', '2025-01-01', '2025-01-01')"
        )
        old.execute(
            "INSERT INTO scenes (job_id, idx, text, audio_status, audio_path, quality)"
            " VALUES ('j1', 1, 'Said before.', 'completed', '/a/1.wav', ?)",
            ('{"wer": 0.1, "takes": 1}',),
        )
        old.execute("PRAGMA user_version = 1")
    old.close()

    store = JobStore(path)
    store.add_scenes("j1", [{"text": "Said after."}])
    store.complete_scene("j1", store.claim_next_scene("j1")["idx"], "/a/2.wav", 1.0, 0.1, None, 0.9)

    before, after = store.get_job("j1")["scenes"]
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (before["speaker_similarity"], before["quality"]) == (None, {"wer": 0.1, "takes": 1})
    assert after["speaker_similarity"] == 0.9
    assert store.integrity_check() == "ok"


def test_a_completed_scene_keeps_its_speaker_similarity_and_null_means_unchecked(
    store: JobStore,
) -> None:
    job_id = new_job(store, scenes=2)
    quality = {"takes": 2, "speaker_min_similarity": 0.75}
    store.complete_scene(
        job_id,
        store.claim_next_scene(job_id)["idx"],
        "/a/1.wav",
        1.0,
        0.2,
        quality,
        speaker_similarity=0.8125,
    )
    store.complete_scene(job_id, store.claim_next_scene(job_id)["idx"], "/a/2.wav", 1.0, 0.1)

    checked, unchecked = store.get_job(job_id)["scenes"]
    assert (checked["speaker_similarity"], checked["quality"]) == (0.8125, quality)
    assert (unchecked["speaker_similarity"], unchecked["quality"]) == (None, None)


# ---- jobs and scenes ------------------------------------------------------------------------


def test_a_new_job_is_pending_with_its_fields_decoded_and_no_scenes(store: JobStore) -> None:
    job = store.create_job("Book", "pdf", Path("/up/book.pdf"), None, {"seed": 7}, "1-3")
    assert len(job["id"]) == 32
    assert job["source_path"] == "/up/book.pdf"
    assert (job["status"], job["extraction_status"]) == ("pending", "pending")
    assert (job["params"], job["pages"], job["voice"], job["chapters"]) == (
        {"seed": 7},
        "1-3",
        None,
        [],
    )
    assert job["scenes"] == []
    assert job["progress"]["total"] == 0
    assert job["created_at"].endswith("+00:00")
    assert job["started_at"] is None and job["finished_at"] is None


def test_scenes_added_page_by_page_are_numbered_consecutively(store: JobStore) -> None:
    job_id = new_job(store, source_kind="pdf")
    assert store.add_scenes(job_id, page_scenes(1)) == [1, 2]
    assert store.add_scenes(job_id, page_scenes(2, count=3)) == [3, 4, 5]
    assert store.add_scenes(job_id, []) == []
    scenes = store.get_job(job_id)["scenes"]
    assert [s["idx"] for s in scenes] == [1, 2, 3, 4, 5]
    assert scenes[2]["bbox"] == [0, 0, 10, 1] and scenes[2]["page"] == 2
    assert {(s["text_status"], s["audio_status"], s["image_status"]) for s in scenes} == {
        ("completed", "pending", "pending")
    }
    assert (store.scene_count(job_id), store.pages_done(job_id)) == (5, 2)


def test_claim_complete_and_fail_move_scenes_and_progress(store: JobStore) -> None:
    job_id = new_job(store, scenes=3)
    first = store.claim_next_scene(job_id)
    assert (first["idx"], first["audio_status"], first["attempts"]) == (1, "processing", 1)
    job = store.get_job(job_id)
    assert job["status"] == "processing" and job["started_at"] is not None
    assert job["progress"] == {
        "total": 3,
        "pending": 2,
        "processing": 1,
        "completed": 0,
        "failed": 0,
        "retaken": 0,
        "voice_converted": 0,
    }

    store.complete_scene(job_id, 1, "/j/00001.wav", 3.2, 1.1, quality={"wer": 0.05})
    store.claim_next_scene(job_id)
    store.fail_scene(job_id, 2, "synthesis_failed", "CUDA out of memory")

    done, failed = store.get_scene(job_id, 1), store.get_scene(job_id, 2)
    assert (done["audio_status"], done["duration_seconds"], done["engine_seconds"]) == (
        "completed",
        3.2,
        1.1,
    )
    assert done["quality"] == {"wer": 0.05} and done["finished_at"] is not None
    assert (failed["audio_status"], failed["error_code"]) == ("failed", "synthesis_failed")
    assert store.get_job(job_id)["progress"] == {
        "total": 3,
        "pending": 1,
        "processing": 0,
        "completed": 1,
        "failed": 1,
        "retaken": 0,
        "voice_converted": 0,
    }


def test_claims_come_in_scene_order_and_end_when_nothing_is_pending(store: JobStore) -> None:
    job_id = new_job(store, scenes=4)
    assert claim_all(store, job_id) == [1, 2, 3, 4]
    assert store.claim_next_scene(job_id) is None
    store.requeue_scene(job_id, 3)
    store.requeue_scene(job_id, 2)
    assert claim_all(store, job_id) == [2, 3]
    assert store.get_scene(job_id, 2)["attempts"] == 2


def test_requeue_moves_only_a_processing_scene_back_to_pending(store: JobStore) -> None:
    job_id = new_job(store, scenes=2)
    store.claim_next_scene(job_id)
    store.complete_scene(job_id, 1, "/a.wav", 1.0, 0.5)
    store.claim_next_scene(job_id)
    assert store.requeue_scene(job_id, 2) is True
    assert store.requeue_scene(job_id, 1) is False
    assert store.get_scene(job_id, 1)["audio_status"] == "completed"
    assert store.get_scene(job_id, 2)["audio_status"] == "pending"


def test_images_final_audio_chapters_and_extraction_are_recorded(store: JobStore) -> None:
    job_id = new_job(store, scenes=1, source_kind="pdf", source_path=None)
    assert store.get_job(job_id)["source_path"] is None  # known once the upload is saved
    store.set_source_path(job_id, Path("/j/source.pdf"))
    store.set_scene_image(job_id, 1, "completed", Path("/j/images/00001.png"))
    store.set_chapters(job_id, [{"title": "One", "scene": 1, "start_seconds": 0.0}])
    store.set_extraction(job_id, "completed", total_pages=12)
    store.set_final_audio(job_id, Path("/j/narration.wav"))
    job = store.get_job(job_id)
    assert job["scenes"][0]["image_status"] == "completed"
    assert job["scenes"][0]["image_path"] == "/j/images/00001.png"
    assert job["chapters"] == [{"title": "One", "scene": 1, "start_seconds": 0.0}]
    assert (job["extraction_status"], job["total_pages"]) == ("completed", 12)
    assert job["final_audio_path"] == "/j/narration.wav"
    assert job["source_path"] == "/j/source.pdf"

    other = new_job(store, source_kind="pdf")
    store.set_extraction(other, "processing")
    store.set_extraction(other, "failed", 12, "document_encrypted", "Locked.", "Give the password.")
    job = store.get_job(other)
    assert (job["total_pages"], job["error_code"], job["error_message"]) == (
        12,
        "document_encrypted",
        "Locked.",
    )
    assert job["error_solution"] == "Give the password."


def test_set_job_status_stamps_start_and_finish_times(store: JobStore) -> None:
    job_id = new_job(store)
    store.set_job_status(job_id, "processing")
    started = store.get_job(job_id)["started_at"]
    store.set_job_status(job_id, "failed", "model_load_failed", "No GPU memory.")
    job = store.get_job(job_id)
    assert job["started_at"] == started and job["finished_at"] is not None
    assert (job["status"], job["error_code"]) == ("failed", "model_load_failed")


@pytest.mark.parametrize(
    "call",
    [
        lambda s, j: s.set_job_status(j, "done"),
        lambda s, j: s.set_extraction(j, "cancelled"),
        lambda s, j: s.set_scene_image(j, 1, "skipped"),
        lambda s, j: s.create_job("t", "docx", "/x", None, {}, None),
    ],
)
def test_unknown_statuses_and_source_kinds_are_rejected(store: JobStore, call: Any) -> None:
    job_id = new_job(store, scenes=1)
    with pytest.raises(ValueError):
        call(store, job_id)


def test_list_jobs_is_newest_first_with_progress_and_no_scene_texts(store: JobStore) -> None:
    old = new_job(store, scenes=2, title="Old")
    new = new_job(store, scenes=1, title="New")
    jobs = store.list_jobs()
    assert [j["id"] for j in jobs] == [new, old]
    assert jobs[1]["progress"]["total"] == 2
    assert all("scenes" not in j for j in jobs)


def test_delete_removes_the_scenes_by_cascade_and_returns_the_job(store: JobStore) -> None:
    job_id = new_job(store, scenes=3)
    other = new_job(store, scenes=1)
    deleted = store.delete_job(job_id)
    assert deleted["id"] == job_id and len(deleted["scenes"]) == 3
    with pytest.raises(JobNotFound):
        store.get_job(job_id)
    count = store._conn.execute("SELECT COUNT(*) FROM scenes WHERE job_id = ?", (job_id,))
    assert count.fetchone()[0] == 0
    assert store.scene_count(other) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_job("nope"),
        lambda s: s.delete_job("nope"),
        lambda s: s.cancel_job("nope"),
        lambda s: s.retry_job("nope"),
        lambda s: s.claim_next_scene("nope"),
        lambda s: s.add_scenes("nope", page_scenes(1)),
        lambda s: s.set_extraction("nope", "completed"),
        lambda s: s.set_final_audio("nope", "/x.wav"),
        lambda s: s.set_source_path("nope", "/x.pdf"),
        lambda s: s.finish_job_if_done("nope"),
        lambda s: s.pages_done("nope"),
        lambda s: s.get_scene("nope", 1),
    ],
)
def test_a_missing_job_raises_job_not_found(store: JobStore, call: Any) -> None:
    with pytest.raises(JobNotFound):
        call(store)


@pytest.mark.parametrize(
    "call",
    [
        lambda s, j: s.get_scene(j, 3),
        lambda s, j: s.get_scene(j, 0),
        lambda s, j: s.complete_scene(j, 3, "/x.wav", 1.0, 1.0),
        lambda s, j: s.fail_scene(j, 3, "synthesis_failed", "boom"),
        lambda s, j: s.set_scene_image(j, 3, "failed"),
        lambda s, j: s.requeue_scene(j, 3),
    ],
)
def test_a_missing_scene_raises_scene_not_found(store: JobStore, call: Any) -> None:
    job_id = new_job(store, scenes=2)
    with pytest.raises(SceneNotFound):
        call(store, job_id)


# ---- concurrency ----------------------------------------------------------------------------


def claim_concurrently(stores: list[JobStore], job_id: str, threads: int = 8) -> list[int]:
    claimed: list[int] = []
    start = threading.Barrier(threads)

    errors: list[BaseException] = []

    def worker(store: JobStore) -> None:
        start.wait()
        try:
            while (scene := store.claim_next_scene(job_id)) is not None:
                claimed.append(scene["idx"])  # list.append is atomic
                store.complete_scene(job_id, scene["idx"], f"/a/{scene['idx']}.wav", 1.0, 0.1)
        except BaseException as exc:  # e.g. "database is locked": a claim that was not atomic
            errors.append(exc)

    pool = [
        threading.Thread(target=worker, args=(stores[n % len(stores)],)) for n in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    return claimed


def test_eight_threads_claiming_from_one_job_take_each_scene_exactly_once(store: JobStore) -> None:
    job_id = new_job(store, scenes=200)
    claimed = claim_concurrently([store], job_id)
    assert sorted(claimed) == list(range(1, 201))
    assert store.get_job(job_id)["progress"]["completed"] == 200


def test_two_stores_on_one_file_never_claim_the_same_scene(tmp_path: Path) -> None:
    stores = [JobStore(tmp_path / "jobs.sqlite3") for _ in range(2)]
    job_id = new_job(stores[0], scenes=120)
    claimed = claim_concurrently(stores, job_id)
    assert sorted(claimed) == list(range(1, 121))
    assert {s["attempts"] for s in stores[1].get_job(job_id)["scenes"]} == {1}


# ---- cancel, retry, finish ------------------------------------------------------------------


def test_a_cancelled_job_yields_no_more_claims(store: JobStore) -> None:
    job_id = new_job(store, scenes=3)
    store.claim_next_scene(job_id)
    assert store.cancel_job(job_id) == "cancelled"
    assert store.claim_next_scene(job_id) is None
    store.requeue_scene(job_id, 1)  # the worker gives back the scene it was on
    assert store.get_job(job_id)["progress"]["pending"] == 3
    assert store.get_job(job_id)["finished_at"] is not None


def test_cancelling_a_completed_job_leaves_it_completed(store: JobStore) -> None:
    job_id = new_job(store, scenes=1)
    store.complete_scene(job_id, store.claim_next_scene(job_id)["idx"], "/a.wav", 1.0, 0.1)
    store.set_extraction(job_id, "completed")
    assert store.finish_job_if_done(job_id) == "completed"
    assert store.cancel_job(job_id) == "completed"
    assert store.get_job(job_id)["status"] == "completed"


def test_retry_requeues_only_failed_scenes_and_reopens_the_job(store: JobStore) -> None:
    job_id = new_job(store, scenes=4)
    for idx in claim_all(store, job_id):
        if idx % 2:
            store.complete_scene(job_id, idx, f"/a/{idx}.wav", 1.0, 0.1)
        else:
            store.fail_scene(job_id, idx, "synthesis_failed", "boom")
    store.set_extraction(job_id, "completed")
    assert store.finish_job_if_done(job_id) == "failed"

    assert store.retry_job(job_id) == 2
    job = store.get_job(job_id)
    assert (job["status"], job["error_code"], job["finished_at"]) == ("pending", None, None)
    assert [s["audio_status"] for s in job["scenes"]] == [
        "completed",
        "pending",
        "completed",
        "pending",
    ]
    assert job["scenes"][1]["error_code"] is None
    assert job["scenes"][0]["audio_path"] == "/a/1.wav"
    assert claim_all(store, job_id) == [2, 4]


def test_retry_of_a_completed_job_changes_nothing(store: JobStore) -> None:
    job_id = new_job(store, scenes=1)
    store.complete_scene(job_id, store.claim_next_scene(job_id)["idx"], "/a.wav", 1.0, 0.1)
    store.set_extraction(job_id, "completed")
    store.finish_job_if_done(job_id)
    assert store.retry_job(job_id) == 0
    assert store.get_job(job_id)["status"] == "completed"


def test_retry_resumes_a_cancelled_job(store: JobStore) -> None:
    job_id = new_job(store, scenes=2)
    store.cancel_job(job_id)
    assert store.retry_job(job_id) == 0
    assert store.get_job(job_id)["status"] == "pending"
    assert claim_all(store, job_id) == [1, 2]


def settle(store: JobStore, job_id: str, outcomes: str) -> None:
    """c completes, f fails, p leaves pending, r leaves processing, one scene per letter."""
    store.add_scenes(job_id, [{"text": letter} for letter in outcomes])
    for letter in outcomes:
        if letter == "p":
            break
        scene = store.claim_next_scene(job_id)
        if letter == "c":
            store.complete_scene(job_id, scene["idx"], "/a.wav", 1.0, 0.1)
        elif letter == "f":
            store.fail_scene(job_id, scene["idx"], "synthesis_failed", "boom")


@pytest.mark.parametrize(
    ("extraction", "outcomes", "expected", "code"),
    [
        ("processing", "cc", None, None),
        ("completed", "cp", None, None),
        ("completed", "cr", None, None),
        ("completed", "ccc", "completed", None),
        ("completed", "cfcf", "failed", "scenes_failed"),
        ("completed", "", "failed", "no_scenes"),
        ("failed", "", "failed", "document_no_text"),
        ("failed", "cc", "failed", "document_no_text"),
        ("failed", "cp", None, "document_no_text"),
    ],
)
def test_finish_job_if_done_settles_only_when_nothing_is_left(
    store: JobStore, extraction: str, outcomes: str, expected: str | None, code: str | None
) -> None:
    job_id = new_job(store)
    settle(store, job_id, outcomes)
    store.set_extraction(
        job_id, extraction, error_code="document_no_text", error_message="Scanned."
    )
    assert store.finish_job_if_done(job_id) == expected
    job = store.get_job(job_id)
    assert job["error_code"] == code
    if expected is None:
        assert job["status"] in ("pending", "processing") and job["finished_at"] is None
    else:
        assert job["status"] == expected and job["finished_at"] is not None
    if code == "scenes_failed":
        assert job["error_message"] == "2 of 4 scenes failed."


def test_finish_leaves_a_cancelled_job_cancelled(store: JobStore) -> None:
    job_id = new_job(store)
    settle(store, job_id, "cf")
    store.set_extraction(job_id, "completed")
    store.cancel_job(job_id)
    assert store.finish_job_if_done(job_id) is None
    assert store.get_job(job_id)["status"] == "cancelled"


# ---- recovery -------------------------------------------------------------------------------


def test_recover_requeues_processing_scenes_and_returns_unfinished_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    before = JobStore(path)
    running = new_job(before, scenes=3)
    waiting = new_job(before, scenes=2)
    done = new_job(before, scenes=1)
    cancelled = new_job(before, scenes=2)
    failed = new_job(before, scenes=1)
    before.complete_scene(running, before.claim_next_scene(running)["idx"], "/a.wav", 1.0, 0.1)
    before.claim_next_scene(running)  # scene 2 is mid-synthesis when the server dies
    before.complete_scene(done, before.claim_next_scene(done)["idx"], "/b.wav", 1.0, 0.1)
    before.set_extraction(done, "completed")
    before.finish_job_if_done(done)
    before.claim_next_scene(cancelled)
    before.cancel_job(cancelled)
    before.set_job_status(failed, "failed", "model_load_failed", "No GPU.")
    del before  # no clean shutdown

    after = JobStore(path)
    assert after.recover() == [running, waiting]
    job = after.get_job(running)
    assert job["status"] == "pending"
    assert [s["audio_status"] for s in job["scenes"]] == ["completed", "pending", "pending"]
    assert after.get_job(done)["status"] == "completed"
    assert after.get_job(cancelled)["status"] == "cancelled"
    assert after.get_job(cancelled)["progress"]["processing"] == 0
    assert after.get_job(failed)["status"] == "failed"
    assert claim_all(after, running) == [2, 3]  # resumes at the first unfinished scene
    assert after.get_scene(running, 2)["attempts"] == 2


def test_recover_reports_an_interrupted_extraction_and_where_it_stopped(store: JobStore) -> None:
    job_id = new_job(store, source_kind="pdf")
    store.set_extraction(job_id, "processing")
    store.add_scenes(job_id, page_scenes(4))
    store.add_scenes(job_id, page_scenes(5))
    assert store.recover() == [job_id]
    job = store.get_job(job_id)
    assert job["extraction_status"] == "pending"
    assert (store.scene_count(job_id), store.pages_done(job_id)) == (4, 5)
    assert store.add_scenes(job_id, page_scenes(6)) == [5, 6]


def test_recover_never_requeues_completed_scenes(store: JobStore) -> None:
    job_id = new_job(store, scenes=3)
    for idx in claim_all(store, job_id):
        store.complete_scene(job_id, idx, f"/a/{idx}.wav", 1.0, 0.1)
    assert store.recover() == [job_id]  # extraction never finished, so it is still unfinished
    assert store.get_job(job_id)["progress"]["completed"] == 3
    assert store.claim_next_scene(job_id) is None


# ---- crash safety ---------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from backend.jobs.store import JobStore

store = JobStore(Path(sys.argv[1]))
job_id, page = sys.argv[2], 1
print("ready", flush=True)
while True:
    scene = store.claim_next_scene(job_id)
    if scene is None:
        store.retry_job(job_id)
        page += 1
        store.add_scenes(job_id, [{"text": "more", "page": page}, {"text": "again", "page": page}])
    elif scene["idx"] % 3:
        store.complete_scene(job_id, scene["idx"], f"/a/{scene['idx']}.wav", 1.0, 0.1, {"wer": 0})
    else:
        store.fail_scene(job_id, scene["idx"], "synthesis_failed", "boom")
"""


def assert_consistent(store: JobStore, job_id: str) -> dict[str, Any]:
    assert store.integrity_check() == "ok"
    job = store.get_job(job_id)
    scenes = job["scenes"]
    assert [s["idx"] for s in scenes] == list(range(1, len(scenes) + 1))
    states = Counter(s["audio_status"] for s in scenes)
    assert set(states) <= STATES
    assert states["processing"] <= 1  # the writer holds at most one scene at a time
    for scene in scenes:
        status = scene["audio_status"]
        assert (scene["audio_path"] is not None) == (status == "completed")
        assert (scene["error_code"] is not None) == (status == "failed")
        assert (scene["started_at"] is not None) == (status != "pending")
        if status in ("processing", "completed", "failed"):
            assert scene["attempts"] >= 1
    assert job["progress"]["total"] == len(scenes)
    return job


@pytest.mark.parametrize("seed", range(4))
def test_a_writer_killed_mid_loop_leaves_a_consistent_database(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    job_id = new_job(store, scenes=10)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), job_id],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        threading.Event().wait(random.Random(seed).uniform(0.15, 0.4))
        assert child.poll() is None, "the writer stopped on its own"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()

    before = assert_consistent(JobStore(path), job_id)
    assert before["progress"]["completed"] > 0, "the writer did no work before it was killed"
    restarted = JobStore(path)
    assert restarted.recover() == [job_id]
    after = assert_consistent(restarted, job_id)
    assert after["progress"]["processing"] == 0
    assert after["progress"]["completed"] == before["progress"]["completed"]


# ---- a model of the whole state machine ---------------------------------------------------


class JobStoreModel(RuleBasedStateMachine):
    """Drives one job through random operations and compares it with a plain-Python model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp()
        self.store = JobStore(Path(self.folder) / "jobs.sqlite3")
        self.job_id = new_job(self.store)
        self.status = "pending"
        self.extracted = False
        self.scenes: list[str] = []  # audio_status by idx - 1

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _with(self, state: str) -> list[int]:
        return [n + 1 for n, s in enumerate(self.scenes) if s == state]

    @precondition(lambda self: not self.extracted)
    @rule(count=st.integers(0, 3))
    def add_scenes(self, count: int) -> None:
        self.store.add_scenes(self.job_id, [{"text": "x"}] * count)
        self.scenes += ["pending"] * count

    @precondition(lambda self: not self.extracted)
    @rule()
    def finish_extraction(self) -> None:
        self.store.set_extraction(self.job_id, "completed")
        self.extracted = True

    @rule()
    def claim(self) -> None:
        scene = self.store.claim_next_scene(self.job_id)
        pending = self._with("pending")
        if self.status in ("completed", "failed", "cancelled") or not pending:
            assert scene is None
            return
        assert scene is not None and scene["idx"] == pending[0]
        self.scenes[pending[0] - 1] = "processing"
        self.status = "processing"

    @rule(data=st.data(), succeed=st.booleans())
    def settle_scene(self, data: st.DataObject, succeed: bool) -> None:
        processing = self._with("processing")
        if not processing:
            return
        idx = data.draw(st.sampled_from(processing))
        if succeed:
            self.store.complete_scene(self.job_id, idx, "/a.wav", 1.0, 0.1)
            self.scenes[idx - 1] = "completed"
        else:
            self.store.fail_scene(self.job_id, idx, "synthesis_failed", "boom")
            self.scenes[idx - 1] = "failed"

    @rule()
    def requeue_processing(self) -> None:
        for idx in self._with("processing"):
            assert self.store.requeue_scene(self.job_id, idx)
            self.scenes[idx - 1] = "pending"

    @rule()
    def cancel(self) -> None:
        if self.status in ("pending", "processing"):
            self.status = "cancelled"
        assert self.store.cancel_job(self.job_id) == self.status

    @rule()
    def retry(self) -> None:
        failed = self._with("failed")
        expected = 0 if self.status == "completed" else len(failed)
        assert self.store.retry_job(self.job_id) == expected
        if self.status != "completed":
            for idx in failed:
                self.scenes[idx - 1] = "pending"
            if self.status in ("failed", "cancelled"):
                self.status = "pending"

    @rule()
    def finish(self) -> None:
        result = self.store.finish_job_if_done(self.job_id)
        busy = {"pending", "processing"} & set(self.scenes)
        if self.status == "cancelled" or not self.extracted or busy:
            assert result is None
            return
        ok = bool(self.scenes) and set(self.scenes) == {"completed"}
        self.status = "completed" if ok else "failed"
        assert result == self.status

    @rule()
    def restart(self) -> None:
        self.store.close()
        self.store = JobStore(Path(self.folder) / "jobs.sqlite3")
        unfinished = self.store.recover()
        assert unfinished == ([self.job_id] if self.status in ("pending", "processing") else [])
        self.scenes = ["pending" if s == "processing" else s for s in self.scenes]
        if self.status == "processing":
            self.status = "pending"

    @invariant()
    def store_matches_the_model(self) -> None:
        job = self.store.get_job(self.job_id)
        assert job["status"] == self.status
        assert [s["audio_status"] for s in job["scenes"]] == self.scenes
        counts = Counter(self.scenes)
        assert job["progress"] == {
            "total": len(self.scenes),
            **{state: counts[state] for state in ("pending", "processing", "completed", "failed")},
            "retaken": 0,
            "voice_converted": 0,
        }


TestJobStoreModel = JobStoreModel.TestCase
TestJobStoreModel.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)


# ---- version 3: what a job was split for, error solutions, image errors ---------------------


def old_database(path: Path, version: int) -> Path:
    """A database as a server of schema `version` left it: one PDF job with one scene."""
    with sqlite3.connect(path) as old:
        for statements in MIGRATIONS[:version]:
            for statement in statements:
                old.execute(statement)
        old.execute(
            "INSERT INTO jobs (id, title, source_kind, created_at, updated_at)"
            " VALUES ('j1', 'Old', 'pdf', '2025-01-01', '2025-01-01')"
        )
        old.execute("INSERT INTO scenes (job_id, idx, text) VALUES ('j1', 1, 'Said before.')")
        old.execute(f"PRAGMA user_version = {version}")
    old.close()
    return path


def test_a_version_2_database_gains_the_engine_record_and_image_error_and_keeps_its_jobs(
    tmp_path: Path,
) -> None:
    # as a server from before jobs recorded their engine
    store = JobStore(old_database(tmp_path / "jobs.sqlite3", 2))
    job = store.get_job("j1")
    assert (job["engine"], job["model"], job["sample_rate"], job["max_chars"]) == (None,) * 4
    assert job["error_solution"] is None and job["scenes"][0]["image_error"] is None
    store.record_engine("j1", "piper", "en_US-joe-medium", 22050, 600)
    job = store.get_job("j1")
    assert (job["engine"], job["model"], job["sample_rate"], job["max_chars"]) == (
        "piper",
        "en_US-joe-medium",
        22050,
        600,
    )
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


# ---- version 4: books (format, author, cover) and the times of sentences and scenes ---------


def test_a_version_3_database_gains_the_book_fields_and_scene_times_and_keeps_its_jobs(
    tmp_path: Path,
) -> None:
    store = JobStore(old_database(tmp_path / "jobs.sqlite3", 3))
    job = store.get_job("j1")
    assert (job["source_format"], job["author"], job["cover_path"]) == (None, None, None)
    assert (job["scenes"][0]["marks"], job["scenes"][0]["start_seconds"]) == (None, None)
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_a_version_4_database_gains_the_directing_fields_and_tables_and_keeps_its_jobs(
    tmp_path: Path,
) -> None:
    store = JobStore(old_database(tmp_path / "jobs.sqlite3", 4))
    job = store.get_job("j1")
    assert (job["priority"], job["paused"], job["grade_level"]) == (0, False, None)
    scene = job["scenes"][0]
    assert (scene["stale"], scene["params"], scene["take"], scene["check_status"]) == (
        False,
        None,
        None,
        None,
    )
    tables = {row[0] for row in store._conn.execute("SELECT name FROM sqlite_master")}
    assert {"takes", "scene_requests", "lexicon", "app_state"} <= tables
    store.close()


def test_a_books_format_author_and_cover_are_kept_and_a_missing_one_leaves_the_field(
    store: JobStore,
) -> None:
    job_id = new_job(store, scenes=1, source_kind="pdf")
    store.set_book(job_id, source_format="epub", author="A. Writer", cover_path=Path("c.png"))
    store.set_book(job_id, author=None)
    job = store.get_job(job_id)
    assert (job["source_format"], job["author"], job["cover_path"]) == (
        "epub",
        "A. Writer",
        "c.png",
    )


def test_sentence_marks_and_scene_starts_are_read_back_as_written(store: JobStore) -> None:
    job_id = new_job(store, scenes=2)
    marks = [{"start": 0.0, "end": 1.2, "text": "One."}, {"start": 1.4, "end": 2.0, "text": "Two."}]
    store.set_scene_marks(job_id, 1, marks)
    store.set_scene_starts(job_id, {1: 0.0, 2: 2.75})
    first, second = store.get_job(job_id)["scenes"]
    assert first["marks"] == marks and second["marks"] is None
    assert (first["start_seconds"], second["start_seconds"]) == (0.0, 2.75)


def test_a_failed_image_keeps_its_reason_and_a_rendered_one_clears_it(store: JobStore) -> None:
    job_id = new_job(store, scenes=1, source_kind="pdf")
    store.set_scene_image(job_id, 1, "failed", error="The renderer stopped after 30 s.")
    scene = store.get_job(job_id)["scenes"][0]
    assert (scene["image_status"], scene["image_path"]) == ("failed", None)
    assert scene["image_error"] == "The renderer stopped after 30 s."
    store.set_scene_image(job_id, 1, "completed", Path("/j/images/1.png"))
    scene = store.get_scene(job_id, 1)
    assert (scene["image_status"], scene["image_error"]) == ("completed", None)

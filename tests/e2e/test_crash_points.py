"""Deterministic crashes around the scene write, then a normal start on the same data: the
database is intact and every scene is narrated exactly once."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, LiveServer
from tests.e2e.test_jobs_piper import job, page_texts, sqlite_scenes
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.wait import wait_for

TEXT = "\n\n".join(page_texts(40))  # about 9 scenes of up to 600 characters


def crash_run(data: Path, point: str, on: int) -> tuple[str, dict[int, str]]:
    """Start a job on a server set to die at `point`; return the job id and, per completed
    scene, its finish time as the crash left it."""
    server = LiveServer(
        data,
        command=[sys.executable, str(ROOT / "tests" / "e2e" / "crash_server.py")],
        CHATTERBOX_ENGINE="piper",
        CHATTERBOX_QUALITY_CHECK="off",
        CRASH_AT=point,
        CRASH_ON=str(on),
    )
    try:
        server.wait_ready()
        created = requests.post(f"{server.url}/jobs", data={"text": TEXT}, timeout=30)
        assert created.status_code == 202, created.text
        assert server.process.wait(timeout=120) == 70  # died where it was told to
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.log.close()
    job_id = created.json()["id"]
    done = {
        s["idx"]: s["finished_at"]
        for s in sqlite_scenes(data, job_id)
        if s["audio_status"] == "completed"
    }
    return job_id, done


@pytest.mark.parametrize(
    ("point", "on", "completed_at_crash"),
    [("after_file", 3, 2), ("after_commit", 3, 3), ("after_claim", 3, 2)],
)
def test_a_crash_around_a_scene_write_loses_nothing_and_repeats_nothing(
    tmp_path, point, on, completed_at_crash
):
    job_id, done = crash_run(tmp_path, point, on)
    assert len(done) == completed_at_crash

    with sqlite3.connect(tmp_path / "jobs.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper", CHATTERBOX_QUALITY_CHECK="off")
    try:
        server.wait_ready()
        final = wait_for(
            lambda: (j := job(server, job_id))["status"] == "completed" and j, 120, 0.1
        )
    finally:
        server.stop()

    scenes = sqlite_scenes(tmp_path, job_id)
    assert all(s["audio_status"] == "completed" for s in scenes)
    assert len(scenes) == final["progress"]["total"]
    for scene in scenes:  # scenes completed before the crash were not spoken again
        if scene["idx"] in done:
            assert scene["finished_at"] == done[scene["idx"]]
    folder = tmp_path / "jobs" / job_id / "scenes"
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(
        Path(s["audio_path"]).name for s in scenes
    )  # one file each, no leftovers


def test_a_crash_between_a_pdf_jobs_row_and_its_file_fails_it_with_a_reason(tmp_path):
    server = LiveServer(
        tmp_path,
        command=[sys.executable, str(ROOT / "tests" / "e2e" / "crash_server.py")],
        CHATTERBOX_ENGINE="piper",
        CHATTERBOX_QUALITY_CHECK="off",
        CRASH_AT="before_source",
    )
    try:
        server.wait_ready()
        pdf = pdf_from_pages(page_texts(2))
        with pytest.raises(requests.ConnectionError):  # the server died inside the request
            requests.post(f"{server.url}/jobs", files={"file": ("book.pdf", pdf)}, timeout=30)
        assert server.process.wait(timeout=60) == 70
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.log.close()

    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper", CHATTERBOX_QUALITY_CHECK="off")
    try:
        server.wait_ready()
        (left,) = wait_for(
            lambda: requests.get(f"{server.url}/jobs", timeout=10).json()["jobs"], 30
        )
        failed = wait_for(lambda: (j := job(server, left["id"]))["status"] == "failed" and j, 60)
    finally:
        server.stop()
    assert failed["error_code"] == "job_source_missing"
    assert "upload the document again" in failed["error_solution"]

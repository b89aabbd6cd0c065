"""Narrations for the workers tier (issue 19): short books to speak, and what the coordinator
recorded of them: the job, its takes, its scene files, the leases, and the check that every
scene was spoken exactly once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import soundfile as sf

from tests.helpers.cluster import Coordinator
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.wait import wait_for

SPOKEN = 120  # seconds a job of real workers may take at most, on a busy 2-core machine

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


def page_texts(count: int, seed: int = 0) -> list[str]:
    """`count` pages of two short sentences each, different for each seed."""
    return [
        f"{PEOPLE[(seed + i) % len(PEOPLE)]} {DEEDS[(seed + 2 * i) % len(DEEDS)]}. "
        f"{PEOPLE[(seed + i + 3) % len(PEOPLE)]} {DEEDS[(seed + 3 * i + 1) % len(DEEDS)]}."
        for i in range(count)
    ]


def start_job(coordinator: Coordinator, pages: list[str]) -> str:
    files = {"file": ("book.pdf", pdf_from_pages(pages), "application/pdf")}
    response = httpx.post(
        coordinator.url + "/jobs", files=files, headers=coordinator.auth, timeout=60
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def get_job(coordinator: Coordinator, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{coordinator.url}/jobs/{job_id}", headers=coordinator.auth, timeout=30)
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


def scene_row(coordinator: Coordinator, job_id: str, idx: int) -> dict[str, Any]:
    [row] = coordinator.rows("SELECT * FROM scenes WHERE job_id = ? AND idx = ?", job_id, idx)
    return row


def holders(coordinator: Coordinator, job_id: str) -> dict[str, tuple[str, int]]:
    """Worker name -> (lease, scene) of each lease on the job's scenes that is active and inside
    its deadline, as the coordinator's `leases` table has it."""
    rows = coordinator.rows(
        "SELECT worker, id, idx FROM leases WHERE job_id = ? AND state = 'active' AND deadline > ?",
        job_id,
        time.time(),
    )
    return {row["worker"]: (row["id"], row["idx"]) for row in rows}


def lease_state(coordinator: Coordinator, lease: str) -> str:
    [row] = coordinator.rows("SELECT state FROM leases WHERE id = ?", lease)
    return row["state"]


def spoken_by(coordinator: Coordinator, job_id: str, idx: int) -> list[str]:
    """The workers whose lease on the scene ended in its take (one, once it is completed)."""
    rows = coordinator.rows(
        "SELECT worker FROM leases WHERE job_id = ? AND idx = ? AND state = 'done'", job_id, idx
    )
    return [row["worker"] for row in rows]


def scene_done(coordinator: Coordinator, job_id: str, idx: int) -> None:
    wait_for(
        lambda: scene_row(coordinator, job_id, idx)["audio_status"] == "completed", SPOKEN, 0.1
    )


def drop_unfinished(coordinator: Coordinator) -> None:
    listed = httpx.get(coordinator.url + "/jobs", headers=coordinator.auth, timeout=30)
    for job in listed.json()["jobs"]:
        if job["status"] != "completed":
            url = f"{coordinator.url}/jobs/{job['id']}"
            httpx.delete(url, headers=coordinator.auth, timeout=30).raise_for_status()

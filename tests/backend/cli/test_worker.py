"""`python -m backend worker` against a real coordinator on loopback (FakeEngine on both
sides): it speaks every scene once, fetches a library voice once, gives its scene back when
stopped, and exits 2 with the reason when the coordinator refuses it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import requests

from backend.cli.worker import main
from backend.cli.worker_client import CoordinatorClient
from backend.cli.worker_pull import PullWorker
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager
from tests.backend.cli.conftest import PARAGRAPHS
from tests.e2e.conftest import free_port
from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[3]

TOKEN = "worker-secret"


def post_job(url: str, **fields: str) -> str:
    data = {"text": "\n\n".join(PARAGRAPHS), **fields}
    response = requests.post(f"{url}/jobs", data=data, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def job(url: str, job_id: str) -> dict:
    return requests.get(f"{url}/jobs/{job_id}", timeout=10).json()


def running(worker: PullWorker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


def test_a_worker_speaks_every_scene_of_a_job_once(start_server, tmp_path):
    live = start_server(worker_token=TOKEN, local_worker=False)
    job_id = post_job(live.url)
    engine = FakeEngine(max_chars=120)
    manager = ModelManager(engine)
    worker = PullWorker(
        CoordinatorClient(live.url, TOKEN), manager, "w1", tmp_path / "voices", 60, False
    )
    thread = running(worker)
    try:
        done = wait_for(lambda: job(live.url, job_id)["status"] == "completed", timeout=60)
        assert done
    finally:
        worker.stop()
        thread.join(10)
        manager.close()
    assert not thread.is_alive()
    scenes = job(live.url, job_id)["scenes"]
    assert worker.done == len(scenes) and len(engine.calls) == len(scenes)
    assert live.engine.calls == []  # the coordinator's own engine spoke nothing
    db = sqlite3.connect(tmp_path / "data" / "jobs.db")
    reasons = db.execute("SELECT idx, reason FROM takes WHERE job_id = ?", (job_id,)).fetchall()
    assert sorted(reasons) == [(s["idx"], "first") for s in scenes]


def test_a_stopped_worker_gives_its_scene_back(start_server, tmp_path):
    engine = FakeEngine(max_chars=120, hang_on="river")
    live = start_server(worker_token=TOKEN, local_worker=False, lease_seconds=300)
    job_id = post_job(live.url)
    manager = ModelManager(engine)
    worker = PullWorker(
        CoordinatorClient(live.url, TOKEN), manager, "w1", tmp_path / "voices", 60, False
    )
    thread = running(worker)
    try:
        assert engine.hanging.wait(30)  # inside scene 1, under its lease
        assert job(live.url, job_id)["progress"]["processing"] == 1
        worker.stop()
        worker.release()
        wait_for(lambda: job(live.url, job_id)["progress"]["processing"] == 0)
        assert job(live.url, job_id)["scenes"][0]["audio_status"] == "pending"
    finally:
        engine.release.set()
        thread.join(10)
        manager.close()


def test_a_worker_the_coordinator_refuses_exits_2_with_the_reason(
    start_server, monkeypatch, capsys
):
    live = start_server()  # no worker token: it takes no workers
    monkeypatch.setenv("CHATTERBOX_ENGINE", "piper")
    assert main(["--coordinator", live.url, "--token", "anything"]) == 2
    err = capsys.readouterr().err
    assert "workers_disabled" in err and "CHATTERBOX_WORKER_TOKEN" in err


def test_a_worker_without_a_token_does_not_start(monkeypatch, capsys):
    monkeypatch.delenv("CHATTERBOX_WORKER_TOKEN", raising=False)
    assert main(["--coordinator", "http://127.0.0.1:9"]) == 2
    assert "--token" in capsys.readouterr().err


def test_a_serving_worker_answers_tts_itself_and_still_asks_for_scenes(start_server, tmp_path):
    live = start_server(worker_token=TOKEN)
    port = free_port()
    env = {
        **os.environ,
        "CHATTERBOX_ENGINE": "piper",
        "CHATTERBOX_DATA_DIR": str(tmp_path / "replica"),
        "CHATTERBOX_QUALITY_CHECK": "off",
    }
    command = [sys.executable, "-m", "backend", "worker", "--serve", "--port", str(port)]
    command += ["--coordinator", live.url, "--token", TOKEN, "--name", "replica"]
    replica = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), timeout=120, interval=0.2)
        speech = requests.post(f"{url}/tts", json={"text": "Hello from a replica."}, timeout=60)
        assert speech.status_code == 200 and speech.headers["x-tts-engine"] == "piper"
        assert speech.content[:4] == b"RIFF"

        def listed() -> list[dict]:
            return requests.get(f"{live.url}/workers", timeout=10).json()["workers"]

        assert wait_for(listed)[0]["name"] == "replica"  # it asked the coordinator for work
        replica.send_signal(signal.SIGTERM)
        assert replica.wait(60) == 0
    finally:
        if replica.poll() is None:
            replica.kill()
            replica.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_a_scene_the_workers_engine_cannot_speak_fails_with_the_engines_reason(
    start_server, tmp_path
):
    live = start_server(worker_token=TOKEN, local_worker=False)
    job_id = post_job(live.url)

    def broken(text: str) -> Exception | None:
        return RuntimeError("the card is on fire") if "lighthouse" in text else None

    manager = ModelManager(FakeEngine(max_chars=120, fail_when=broken))
    worker = PullWorker(
        CoordinatorClient(live.url, TOKEN), manager, "w1", tmp_path / "voices", 60, False
    )
    thread = running(worker)
    try:
        wait_for(lambda: job(live.url, job_id)["status"] == "failed", timeout=60)
    finally:
        worker.stop()
        thread.join(10)
        manager.close()
    failed = [s for s in job(live.url, job_id)["scenes"] if s["audio_status"] == "failed"]
    assert [s["error_code"] for s in failed] == ["synthesis_failed"]
    assert "on fire" in failed[0]["error_message"] and "lighthouse" in failed[0]["text"]

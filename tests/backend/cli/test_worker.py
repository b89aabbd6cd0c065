"""`python -m backend worker` against a real coordinator on loopback (FakeEngine on both
sides): it speaks every scene once, fetches a library voice once, gives its scene back when
stopped, and exits 2 with the reason when the coordinator refuses it."""

from __future__ import annotations

import sqlite3
import threading

import requests

from backend.cli.worker import main
from backend.cli.worker_client import CoordinatorClient
from backend.cli.worker_pull import PullWorker
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager
from tests.backend.cli.conftest import PARAGRAPHS
from tests.helpers.wait import wait_for

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

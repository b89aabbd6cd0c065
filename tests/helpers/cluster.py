"""A coordinator and its pull workers as real processes on loopback (issue 19), and a hand-made
worker that speaks the worker routes with httpx; GET /workers and /metrics read back."""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT, LiveServer, free_port
from tests.helpers.proxy import StallingProxy
from tests.helpers.wait import wait_for

TOKEN = "worker-token-for-tests"
API_TOKEN = "api-token-for-tests"
SCENE_DONE = re.compile(
    r"scene [0-9a-f]+/\d+ done in \d+(?:\.\d+)? s"
)  # set too, so each token is seen to open only its own routes
LEASE_SECONDS = 2.0
# The coordinator only coordinates; no pause and no crossfade between scenes, so the narration's
# length is exactly the sum of its scenes'; no Whisper or speaker check, so a scene's only take is
# its first.
COORDINATOR_ENV = {
    "CHATTERBOX_ENGINE": "piper",
    "CHATTERBOX_LOCAL_WORKER": "false",
    "CHATTERBOX_WORKER_TOKEN": TOKEN,
    "CHATTERBOX_API_TOKEN": API_TOKEN,
    "CHATTERBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    "CHATTERBOX_PAUSE_MS": "0",
    "CHATTERBOX_CROSSFADE_MS": "0",
    "CHATTERBOX_QUALITY_CHECK": "off",
    "CHATTERBOX_SPEAKER_CHECK": "off",
}


class Coordinator:
    """`python -m backend` on one port and one data folder, stopped and started again in place."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**COORDINATOR_ENV, **env}
        self.auth = {"Authorization": f"Bearer {API_TOKEN}"}  # the API's routes
        self.server: LiveServer | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "backend"]  # its port from CHATTERBOX_PORT
        self.server = LiveServer(self.data_dir, self.port, command, **self.env)
        self.server.wait_ready()

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it; waits for the exit."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.db"

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db_path, timeout=30) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]


class WorkerProcess:
    """`python -m backend worker` speaking with Piper, its own data folder and log."""

    def __init__(self, name: str, coordinator_url: str, data_dir: Path, **env: str) -> None:
        self.name = name
        self.coordinator_url = coordinator_url
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / "worker.log"
        self.log = self.log_path.open("ab")
        environment = {
            **os.environ,
            "CHATTERBOX_ENGINE": "piper",
            "CHATTERBOX_DATA_DIR": str(data_dir),
            "CHATTERBOX_MODEL_CACHE_DIR": str(data_dir / "model_cache"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        for variable in ("CHATTERBOX_WORKER_TOKEN", "CHATTERBOX_API_TOKEN"):
            environment.pop(variable, None)  # --token says it; a worker needs no API token
        command = [
            sys.executable,
            "-m",
            "backend",
            "worker",
            "--coordinator",
            coordinator_url,
            "--token",
            TOKEN,
            "--name",
            name,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (the worker releases its lease and exits); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped one could not act on it
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def scenes_logged(self) -> int:
        """Lines "scene <job>/<idx> done in X s" in its log (the contract's line a scene)."""
        return len(SCENE_DONE.findall(self.output()))


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


class HandWorker:
    """A worker made by hand: each route called when the test says, nothing in between."""

    def __init__(self, url: str, name: str, token: str | None = TOKEN) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.name = name
        self.http = httpx.Client(base_url=url, headers=headers, timeout=30)

    def close(self) -> None:
        self.http.close()

    def claim(self) -> httpx.Response:
        return self.http.post("/workers/claim", json={"worker": self.name, "engine": "piper"})

    def renew(self, lease: str) -> httpx.Response:
        return self.http.post(f"/workers/leases/{lease}/renew")

    def voice(self, lease: str) -> httpx.Response:
        return self.http.get(f"/workers/leases/{lease}/voice")

    def release(self, lease: str) -> httpx.Response:
        return self.http.post(f"/workers/leases/{lease}/release")

    def submit(self, lease: str, wav: bytes, sha256: str | None = None) -> httpx.Response:
        headers = {
            "Content-Type": "audio/wav",
            "X-Audio-SHA256": sha256 or hashlib.sha256(wav).hexdigest(),
            "X-Engine-Seconds": "0.5",
        }
        return self.http.put(f"/workers/leases/{lease}/audio", content=wav, headers=headers)


def workers_seen(coordinator: Coordinator) -> list[dict[str, Any]]:
    response = httpx.get(coordinator.url + "/workers", headers=coordinator.auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["workers"]


def metrics(coordinator: Coordinator) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.get(coordinator.url + "/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


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


def tone_wav(seconds: float, rate: int = 22050, pitch: float = 220.0) -> bytes:
    """A quiet sine as a 16-bit mono WAV: what a hand-made worker submits for a scene."""
    times = np.arange(round(seconds * rate)) / rate
    buffer = io.BytesIO()
    sf.write(buffer, 0.2 * np.sin(2 * np.pi * pitch * times), rate, "PCM_16", format="WAV")
    return buffer.getvalue()


def metric(text: str, sample: str, **labels: str) -> float:
    """The sum of the samples named `sample` whose labels include `labels` (0 when none)."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == sample and all(found.labels.get(k) == v for k, v in labels.items()):
                total += found.value
    return total


def lease_expiries(coordinator: Coordinator) -> float:
    return metric(metrics(coordinator), "chatterbox_lease_expiries_total")

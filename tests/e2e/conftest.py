"""A real server: uvicorn in a child process on a free loopback port; and for the browser tests,
the server speaking with Piper, the real studio pointed at it, and a headless chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The server in a child process on a loopback port, its output in `data_dir`/server.log.

    `command` replaces `uvicorn --factory backend.main:create_app` (e.g. a test launcher script); it learns its
    port from CHATTERBOX_PORT, which is always set.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        command: list[str] | None = None,
        **env: str,
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "CHATTERBOX_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "CHATTERBOX_MODEL_CACHE_DIR": str(data_dir / "model_cache"),
            "CHATTERBOX_PORT": str(self.port),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.log_path = data_dir / "server.log"
        self.log = self.log_path.open("ab")
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "backend.main:create_app",
            "--host",
            "127.0.0.1",
        ]
        self.process = subprocess.Popen(
            command or [*uvicorn, "--port", str(self.port)],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for_answer(self.process, self.url + "/health", (200, 503), timeout)

    def stop(self) -> None:
        stop_process(self.process, self.log)

    def narrated(self, filename: str, data: bytes, timeout: float = 180) -> dict:
        """POST /jobs with the file (202), then the job once it has ended (completed or failed:
        the caller asserts which)."""
        response = requests.post(self.url + "/jobs", files={"file": (filename, data)}, timeout=60)
        assert response.status_code == 202, response.text
        url = f"{self.url}/jobs/{response.json()['id']}"

        def ended() -> dict | None:
            job = requests.get(url, timeout=10).json()
            return job if job["status"] in ("completed", "failed") else None

        return wait_for(ended, timeout=timeout, interval=0.2)


def wait_for_answer(
    process: subprocess.Popen, url: str, statuses: tuple[int, ...], timeout: float
) -> None:
    """Until `url` answers with one of `statuses`; fails early if the process has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).status_code in statuses:
                return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def stop_process(process: subprocess.Popen, log) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()  # reaped: no zombie, and no ResourceWarning in a later test
    log.close()


@contextlib.contextmanager
def running(server: Any) -> Iterator[Any]:
    """A LiveServer or StudioServer from ready to stopped (stopped also when it never got
    ready)."""
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def piper_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("piper-server"), CHATTERBOX_ENGINE="piper")
    with running(server):
        yield server


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """The server for the browser tests: Piper, no Whisper check (they watch the studio)."""
    server = LiveServer(
        tmp_path_factory.mktemp("studio-backend"),
        CHATTERBOX_ENGINE="piper",
        CHATTERBOX_QUALITY_CHECK="off",
    )
    with running(server):
        yield server


@pytest.fixture(scope="module")
def studio(backend: LiveServer, tmp_path_factory):
    from tests.e2e.studio import StudioServer  # it imports this module

    server = StudioServer(backend.url, tmp_path_factory.mktemp("studio-frontend"))
    with running(server):
        yield server


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, through Playwright (imported only where a test asks)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.studio import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()

"""The real server for benchmarks: uvicorn in a child process, Piper engine, a throw-away data
folder, the model not preloaded, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def piper_server(**env: str) -> Iterator[str]:
    """Start the server with extra CHATTERBOX_* variables; yield its URL once /health is 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        environment = {
            **os.environ,
            "CHATTERBOX_ENGINE": "piper",
            "CHATTERBOX_DATA_DIR": data,
            "CHATTERBOX_LOAD_ON_STARTUP": "false",
            "HF_HUB_OFFLINE": "1",
            **env,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "backend.main:create_app",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(url + "/health", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            else:
                sys.exit("the server did not answer /health with 200")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)

"""Stand-ins for launcher.py's children: a copy of launcher.py beside a fake `backend` package
(the server and `backend worker`) and a fake `streamlit`, each logging what it was started with
and when it was stopped, and a fake nvidia-smi; the launcher run on them as start_linux.sh runs it.

The fakes shadow the real packages because `python -m` puts the launcher's folder (its cwd) first
on sys.path. test_start_linux.py starts the real server and studio.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ROOT, free_port

# One program for every role; which one it plays comes from the package it runs as and its argv.
FAKE_CHILD = '''"""A fake server, worker or studio for tests/scripts/test_launcher.py."""

import json
import os
import signal
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if __spec__.name.startswith("backend"):
    ROLE = "worker" if sys.argv[1:2] == ["worker"] else "server"
else:
    ROLE = "studio"
SEEN = ("CHATTERBOX_WORKER_TOKEN", "CHATTERBOX_ENGINE", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")
stopped = threading.Event()
signal.signal(signal.SIGINT, lambda *_: stopped.set())


def record(event, **details):
    line = {"role": ROLE, "pid": os.getpid(), "event": event, **details}
    fd = os.open(os.environ["FAKE_LAUNCH_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (json.dumps(line) + "\\n").encode())
    finally:
        os.close(fd)


def serve(port, path):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == path else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def flag(name):
    return sys.argv[sys.argv.index(name) + 1]


details = {"argv": sys.argv[1:], "env": {name: os.environ.get(name) for name in SEEN}}
if ROLE == "worker":  # the server must already answer when a worker starts
    with urllib.request.urlopen(flag("--coordinator") + "/health", timeout=5) as answer:
        details["coordinator_health"] = answer.status
record("start", **details)
if ROLE == "server":
    serve(int(os.environ["CHATTERBOX_PORT"]), "/health")
elif ROLE == "studio":
    serve(int(flag("--server.port")), "/_stcore/health")
stopped.wait()
record("stop")
'''


def fake_tree(folder: Path) -> Path:
    """launcher.py and the one module it imports, beside the fake children."""
    (folder / "backend" / "core").mkdir(parents=True)
    (folder / "streamlit").mkdir()
    shutil.copy(ROOT / "launcher.py", folder / "launcher.py")
    shutil.copy(ROOT / "backend" / "core" / "constants.py", folder / "backend" / "core")
    for package in ("backend", "backend/core", "streamlit"):
        (folder / package / "__init__.py").write_text("")
    (folder / "backend" / "__main__.py").write_text(FAKE_CHILD)
    (folder / "streamlit" / "__main__.py").write_text(FAKE_CHILD)
    return folder


def fake_nvidia_smi(bin_dir: Path, gpus: int, fails: bool = False) -> Path:
    """A folder for PATH whose `nvidia-smi -L` lists `gpus` cards, or fails as without a driver."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    if fails:
        body = (
            "echo 'NVIDIA-SMI has failed because it could not communicate with the driver.'\nexit 9"
        )
    else:
        cards = [f"GPU {i}: NVIDIA GeForce RTX 3090 (UUID: GPU-{i:08d})" for i in range(gpus)]
        cards.append("  MIG 1g.5gb Device 0: (UUID: MIG-00000000)")  # not a card of its own
        body = "\n".join(f"echo '{line}'" for line in cards)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\n{body}\n")
    smi.chmod(0o755)
    return bin_dir


class Launch:
    """A running launcher on the fake tree; `events()` reads what its children logged."""

    def __init__(self, process: subprocess.Popen, log: Path, output: Path, ports: tuple[int, int]):
        self.process, self.log, self.output = process, log, output
        self.server_port, self.studio_port = ports

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def started(self, role: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["role"] == role and e["event"] == "start"]

    def wait_until(self, condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the launcher exited:\n{self.output.read_text()}"
            assert time.monotonic() < deadline, f"timed out:\n{self.output.read_text()}"
            time.sleep(0.05)

    def ctrl_c(self) -> int:
        """SIGINT to the launcher's group, as a terminal sends it; its exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)


@contextmanager
def launched(tmp_path: Path, path: Path, **env: str) -> Iterator[Launch]:
    """Run the fake tree's launcher with PATH=`path` (where nvidia-smi is, or is not) and `env`."""
    tree = fake_tree(tmp_path / "tree")
    ports = (free_port(), free_port())
    log, output = tmp_path / "children.log", tmp_path / "launcher.out"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHATTERBOX_", "CUDA_"))}
    for name in ("PORT", "WORKERS", "DISPLAY", "WAYLAND_DISPLAY"):
        base.pop(name, None)
    environment = {
        **base,
        "PATH": str(path),
        "FAKE_LAUNCH_LOG": str(log),
        "CHATTERBOX_PORT": str(ports[0]),
        "CHATTERBOX_STUDIO_PORT": str(ports[1]),
        **env,
    }
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-S", str(tree / "launcher.py")],
            cwd=tmp_path,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own foreground group, like a terminal's
        )
    launch = Launch(process, log, output, ports)
    try:
        yield launch
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for event in launch.events():  # each child has a session of its own
            if event["event"] == "start":
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(event["pid"], signal.SIGKILL)

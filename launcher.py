"""Runs the studio: the server, then (once it answers) the Streamlit app; Ctrl+C stops both.

start_linux.sh and start_windows.bat run this with the project's venv Python after setting up.
Standard library only. It passes no configuration of its own: the server reads its CHATTERBOX_*
settings itself (the environment, then .env), and the launcher derives from the same settings,
by backend.core.constants' one rule, where the server listens (CHATTERBOX_HOST, default
127.0.0.1; CHATTERBOX_PORT, default 8000) and the studio's port (CHATTERBOX_STUDIO_PORT, default
8501, on 127.0.0.1). The studio is told the server's address as CHATTERBOX_URL.

CHATTERBOX_WORKERS (or WORKERS) = N > 0 also starts local workers once the server answers: one
per GPU that `nvidia-smi -L` lists, up to N, each seeing only its card (CUDA_VISIBLE_DEVICES),
or else N Piper workers on the CPU (CHATTERBOX_ENGINE=piper). Each runs
`python -m backend worker --coordinator <the server's local URL>` and pulls scenes over HTTP. They
need a worker token; without CHATTERBOX_WORKER_TOKEN the launcher makes one for this run and
hands it to the server and the workers in their environment only, never to a file.

Each child runs in its own process group (session on POSIX), so the launcher decides the order
of shutdown: the studio first, then the workers (each hands its scene back), then the server,
which finishes its current scene's bookkeeping. Whatever has not exited after a grace period is
killed with its whole process tree, so nothing is left holding a port or the GPU.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

from backend.core.constants import (
    DEFAULT_STUDIO_PORT,
    local_url,
    local_workers,
    read_environment,
    server_url,
)

ROOT = Path(__file__).resolve().parent
WINDOWS = os.name == "nt"
GRACE_SECONDS = 15
BACKEND_START_SECONDS = 300  # a first Chatterbox load from a slow disk can take minutes
# Read by earlier versions; a value left in the environment would now be ignored without a word.
RETIRED = {"BACKEND_PORT": "CHATTERBOX_PORT", "FRONTEND_PORT": "CHATTERBOX_STUDIO_PORT"}
MAX_WORKERS = 64  # Settings.workers' bound
# `nvidia-smi -L` writes a line "GPU 0: NVIDIA ... (UUID: GPU-...)" a card (MIG devices indented).
GPU_LINE = re.compile(r"^GPU (\d+):", re.MULTILINE)


def main() -> int:
    if retired := [name for name in RETIRED if name in os.environ]:
        for name in retired:
            print(
                f"{name} is no longer read: set {RETIRED[name]} instead "
                f"(for example {RETIRED[name]}={os.environ[name]}), then start again.",
                file=sys.stderr,
            )
        return 2
    config = read_environment(ROOT)
    worker_count = _worker_count(config)
    if worker_count is None:
        return 2
    backend_url = local_url(config)  # the server this starts, however clients are told to reach it
    frontend_port = config.get("CHATTERBOX_STUDIO_PORT") or str(DEFAULT_STUDIO_PORT)
    studio_url = f"http://127.0.0.1:{frontend_port}"
    # The server and its workers share one worker token: the user's, or one for this run only.
    token: dict[str, str] = {}
    if worker_count and not config.get("CHATTERBOX_WORKER_TOKEN"):
        token = {"CHATTERBOX_WORKER_TOKEN": secrets.token_urlsafe(32)}
    backend: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = []
    studio: subprocess.Popen | None = None
    stop = _install_stop_handler()
    try:
        print(f"Starting the narration server on {backend_url} …", flush=True)
        # The server reads CHATTERBOX_STUDIO_PORT too: the studio's origin is trusted.
        backend = _spawn([sys.executable, "-m", "backend"], **token)
        if not _wait_until_up(f"{backend_url}/health", backend, BACKEND_START_SECONDS, stop):
            return _failed("The server did not start; its messages are above.", stop)
        for name, env in _worker_plans(worker_count):
            print(f"Starting worker {name} …", flush=True)
            command = [sys.executable, "-m", "backend", "worker", "--coordinator", backend_url]
            workers.append(_spawn(command, **token, **env))
        print("Starting the studio …", flush=True)
        studio = _spawn(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(Path("frontend") / "app.py"),
                "--server.port",
                frontend_port,
                "--server.address",
                "127.0.0.1",
            ],
            CHATTERBOX_URL=server_url(config),
        )
        if not _wait_until_up(f"{studio_url}/_stcore/health", studio, 120, stop):
            return _failed("The studio did not start; its messages are above.", stop)
        print(f"\nChatterbox Studio is ready: {studio_url}  (Ctrl+C stops it)\n", flush=True)
        _open_browser(studio_url)
        named = {backend: "server", studio: "studio"}
        named.update({worker: f"worker {i}" for i, worker in enumerate(workers)})
        while not stop.requested:
            for child, name in named.items():
                if child.poll() is not None:
                    print(f"The {name} stopped (exit code {child.returncode}).", flush=True)
                    return child.returncode or 1
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if backend is not None:
            print("Stopping …", flush=True)
        # The studio first, then the workers (together: each hands its scene back), the server last.
        for group in ([studio], workers, [backend]):
            _stop([child for child in group if child is not None])


def _worker_count(config: dict[str, str]) -> int | None:
    """N from CHATTERBOX_WORKERS or WORKERS, or None (said why) when the server would refuse it."""
    value = local_workers(config)
    if value.isdigit() and int(value) <= MAX_WORKERS:
        return int(value)
    name = "CHATTERBOX_WORKERS" if config.get("CHATTERBOX_WORKERS") else "WORKERS"
    print(
        f"{name}={value} is not a number of workers from 0 to {MAX_WORKERS}: set "
        "CHATTERBOX_WORKERS (or WORKERS) to how many to start beside the server, or 0 for none.",
        file=sys.stderr,
    )
    return None


def _worker_plans(count: int) -> list[tuple[str, dict[str, str]]]:
    """(name, environment) of each worker: one per listed GPU, else `count` Piper workers."""
    if not count:
        return []
    gpus = _gpus()
    if not gpus:
        return [(f"{i} (Piper, CPU)", {"CHATTERBOX_ENGINE": "piper"}) for i in range(count)]
    if count > len(gpus):
        print(
            f"WORKERS={count}, and this machine has {len(gpus)} GPU(s): one worker per GPU.",
            flush=True,
        )
    # PCI_BUS_ID: CUDA numbers the cards as nvidia-smi does (by default the fastest comes first).
    return [
        (f"{i} (GPU {gpu})", {"CUDA_VISIBLE_DEVICES": gpu, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"})
        for i, gpu in enumerate(gpus[:count])
    ]


def _gpus() -> list[str]:
    """The GPU indices `nvidia-smi -L` lists; none without the tool or a working driver."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        listed = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return GPU_LINE.findall(listed.stdout) if listed.returncode == 0 else []


class _Stop:
    requested = False


def _install_stop_handler() -> _Stop:
    stop = _Stop()

    def request(signum, frame) -> None:
        stop.requested = True

    signal.signal(signal.SIGINT, request)
    signal.signal(signal.SIGTERM, request)
    if WINDOWS:
        signal.signal(signal.SIGBREAK, request)
    return stop


def _spawn(command: list[str], **env: str) -> subprocess.Popen:
    environment = {**os.environ, **env}
    if WINDOWS:
        flags = subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen(command, cwd=ROOT, env=environment, creationflags=flags)
    return subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)


def _wait_until_up(url: str, child: subprocess.Popen, timeout: float, stop: _Stop) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.requested:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:  # any answer is up: a 503 "not set up" is explained
            return True  # on the studio's pages
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def _failed(message: str, stop: _Stop) -> int:
    if stop.requested:
        return 0
    print(message, file=sys.stderr, flush=True)
    return 1


def _open_browser(url: str) -> None:
    has_display = WINDOWS or sys.platform == "darwin" or os.environ.get("DISPLAY")
    if has_display or os.environ.get("WAYLAND_DISPLAY"):
        with contextlib.suppress(webbrowser.Error):  # the URL is printed above anyway
            webbrowser.open(url)


def _stop(children: list[subprocess.Popen]) -> None:
    """Ask each politely (Ctrl+C to its group), then kill each whole tree after one grace period
    shared by all of them."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if WINDOWS:
                child.send_signal(signal.CTRL_BREAK_EVENT)
            else:
                os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in running:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        _kill_tree(child)


def _kill_tree(child: subprocess.Popen) -> None:
    if WINDOWS:
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(child.pid)], capture_output=True, check=False
        )
    else:
        # The group also holds the server's worker processes (PDF extraction).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())

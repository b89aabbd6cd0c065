"""Runs the studio: the server, then (once it answers) the Streamlit app; Ctrl+C stops both.

start_linux.sh and start_windows.bat run this with the project's venv Python after setting up.
Standard library only. It passes no configuration of its own: the server reads its CHATTERBOX_*
settings itself (the environment, then .env), and the launcher derives from the same settings,
by backend.core.constants' one rule, where the server listens (CHATTERBOX_HOST, default
127.0.0.1; CHATTERBOX_PORT, default 8000) and the studio's port (CHATTERBOX_STUDIO_PORT, default
8501, on 127.0.0.1). The studio is told the server's address as CHATTERBOX_URL.

Each server runs in its own process group (session on POSIX), so the launcher decides the order
of shutdown: the studio first, then the server, which finishes its current scene's bookkeeping.
Whatever has not exited after a grace period is killed with its whole process tree, so nothing
is left holding a port or the GPU.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

from backend.core.constants import DEFAULT_STUDIO_PORT, local_url, read_environment, server_url

ROOT = Path(__file__).resolve().parent
WINDOWS = os.name == "nt"
GRACE_SECONDS = 15
BACKEND_START_SECONDS = 300  # a first Chatterbox load from a slow disk can take minutes
# Read by earlier versions; a value left in the environment would now be ignored without a word.
RETIRED = {"BACKEND_PORT": "CHATTERBOX_PORT", "FRONTEND_PORT": "CHATTERBOX_STUDIO_PORT"}


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
    backend_url = local_url(config)  # the server this starts, however clients are told to reach it
    frontend_port = config.get("CHATTERBOX_STUDIO_PORT") or str(DEFAULT_STUDIO_PORT)
    studio_url = f"http://127.0.0.1:{frontend_port}"
    children: list[subprocess.Popen] = []
    stop = _install_stop_handler()
    try:
        print(f"Starting the narration server on {backend_url} …", flush=True)
        # The server reads CHATTERBOX_STUDIO_PORT too: the studio's origin is trusted.
        backend = _spawn([sys.executable, "-m", "backend"])
        children.append(backend)
        if not _wait_until_up(f"{backend_url}/health", backend, BACKEND_START_SECONDS, stop):
            return _failed("The server did not start; its messages are above.", stop)
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
        children.append(studio)
        if not _wait_until_up(f"{studio_url}/_stcore/health", studio, 120, stop):
            return _failed("The studio did not start; its messages are above.", stop)
        print(f"\nChatterbox Studio is ready: {studio_url}  (Ctrl+C stops it)\n", flush=True)
        _open_browser(studio_url)
        while not stop.requested:
            for child in children:
                if child.poll() is not None:
                    name = "server" if child is backend else "studio"
                    print(f"The {name} stopped (exit code {child.returncode}).", flush=True)
                    return child.returncode or 1
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if children:
            print("Stopping …", flush=True)
        for child in reversed(children):  # the studio first, then the server
            _stop(child)


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


def _stop(child: subprocess.Popen) -> None:
    """Ask politely (Ctrl+C to its group), then kill the whole tree after the grace period."""
    if child.poll() is not None:
        return
    try:
        if WINDOWS:
            child.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            os.killpg(child.pid, signal.SIGINT)
        child.wait(timeout=GRACE_SECONDS)
    except (subprocess.TimeoutExpired, ProcessLookupError, PermissionError, OSError):
        pass
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

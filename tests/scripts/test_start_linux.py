"""start_linux.sh (and launcher.py behind it) for real: both servers come up on the asked ports,
answer their health checks, and Ctrl+C (SIGINT to the foreground group, as a terminal sends it)
stops every process they started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import requests

from tests.e2e.conftest import ROOT, free_port

VENV_PYTHON = ROOT / ".venv_chatterbox" / "bin" / "python"


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"start_linux.sh exited with {process.returncode}"
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_start_linux_starts_both_servers_and_ctrl_c_leaves_no_process(tmp_path: Path):
    # CI's test command creates .venv_chatterbox; without it the script would run the full set-up.
    assert VENV_PYTHON.exists(), "run the README's test command first: it creates .venv_chatterbox"
    backend_port, frontend_port = free_port(), free_port()
    env = {
        **os.environ,
        "CHATTERBOX_PORT": str(backend_port),
        "CHATTERBOX_STUDIO_PORT": str(frontend_port),
        "CHATTERBOX_ENGINE": "piper",
        "CHATTERBOX_DATA_DIR": str(tmp_path / "data"),
        "CHATTERBOX_QUALITY_CHECK": "off",
    }
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    log_path = tmp_path / "start.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["bash", str(ROOT / "start_linux.sh")],
            cwd=tmp_path,  # the script finds its own folder
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own foreground group, like a terminal's
        )
        try:
            health = wait_for(f"http://127.0.0.1:{backend_port}/health", process)
            assert health.status_code == 200
            assert health.json()["engine"] == "piper"
            studio = wait_for(f"http://127.0.0.1:{frontend_port}/_stcore/health", process)
            assert studio.status_code == 200
            deadline = time.monotonic() + 30
            while "is ready" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            ready = f"Chatterbox Studio is ready: http://127.0.0.1:{frontend_port}"
            assert ready in log_path.read_text()

            # Loopback only: nothing listens on the machine's other addresses.
            listening = {
                (c.laddr.ip, c.laddr.port)
                for c in psutil.net_connections("tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr.port in (backend_port, frontend_port)
            }
            assert listening == {("127.0.0.1", backend_port), ("127.0.0.1", frontend_port)}

            family = [process.pid] + [p.pid for p in psutil.Process(process.pid).children(True)]
            assert len(family) >= 3  # the launcher, the server, the studio

            os.killpg(process.pid, signal.SIGINT)
            assert process.wait(timeout=40) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)

    def survivors() -> list[int]:
        return [pid for pid in family if psutil.pid_exists(pid) and not _zombie(pid)]

    # A bounded poll: the children may take a moment to exit after the launcher has.
    deadline = time.monotonic() + 10
    while (survivors() or not port_is_closed(backend_port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors() == [], log_path.read_text()
    assert port_is_closed(backend_port)
    assert port_is_closed(frontend_port)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_server_that_cannot_start_stops_the_launch_with_a_message_and_no_leftovers(
    tmp_path: Path,
):
    assert VENV_PYTHON.exists(), "run the README's test command first: it creates .venv_chatterbox"
    frontend_port = free_port()
    with socket.socket() as taken:  # someone else already holds the server's port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **os.environ,
            "CHATTERBOX_PORT": str(taken.getsockname()[1]),
            "CHATTERBOX_STUDIO_PORT": str(frontend_port),
            "CHATTERBOX_ENGINE": "piper",
            "CHATTERBOX_DATA_DIR": str(tmp_path / "data"),
        }
        result = subprocess.run(
            ["bash", str(ROOT / "start_linux.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert "The server did not start; its messages are above." in result.stderr
    assert "address already in use" in (result.stdout + result.stderr).lower()
    assert port_is_closed(frontend_port)  # the studio was never started

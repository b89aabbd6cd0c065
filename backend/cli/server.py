"""The server a run talks to: the one already answering, or a child `python -m backend` on a
free loopback port that lives only as long as the run (stopped on exit, error and Ctrl+C)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from backend.cli.client import Client, unreachable
from backend.cli.errors import NarrateError

START_TIMEOUT = 600.0  # seconds: the lifespan loads the engine first (Chatterbox on a CPU: minutes)
STOP_TIMEOUT = 30.0  # seconds for a graceful stop (the worker parks its jobs) before a kill
POLL = 0.2
PACKAGE_HOME = Path(__file__).resolve().parents[2]  # the folder that holds backend/


@dataclass
class Reached:
    """The server of a run: its client, and the child process when the run started it."""

    client: Client
    child: subprocess.Popen[bytes] | None = None


@contextlib.contextmanager
def reach(
    url: str, token: str | None, may_start: bool, say: Callable[[str], None]
) -> Iterator[Reached]:
    """The server answering at `url`; else, with `may_start`, one started for the block."""
    client = Client(url, token)
    if client.answers():
        yield Reached(client)
        return
    if not may_start:
        raise unreachable(url)
    with _child(token, say) as reached:
        yield reached


@contextlib.contextmanager
def _child(token: str | None, say: Callable[[str], None]) -> Iterator[Reached]:
    port = free_port()
    env = {**os.environ, "CHATTERBOX_HOST": "127.0.0.1", "CHATTERBOX_PORT": str(port)}
    # The child imports this same backend, wherever the command was run from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_HOME), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="chatterbox-narrate-") as folder:
        log = Path(folder) / "server.log"
        with log.open("wb") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", "backend"],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                **_own_group(),
            )
        try:
            client = Client(f"http://127.0.0.1:{port}", token)
            say(f"Starting a narration server for this run at {client.base_url} ...")
            _wait_until_up(child, client, log)
            say(f"Started it (process {child.pid}); it stops when this command ends.")
            yield Reached(client, child)
        finally:
            stop(child)


def _wait_until_up(child: subprocess.Popen[bytes], client: Client, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not client.answers():
        if child.poll() is not None:
            raise NarrateError(
                "server_start_failed",
                f"The narration server this command started stopped at once: {last_line(log)}",
                "Fix what it says (or start the server yourself with `python -m backend` to see "
                "its whole output), then run the command again.",
                fatal=True,
            )
        if time.monotonic() > deadline:
            raise NarrateError(
                "server_start_failed",
                f"The narration server this command started did not answer within "
                f"{START_TIMEOUT:.0f} s.",
                "Start it yourself with `python -m backend` to see what it is doing, then run "
                "the command again.",
                fatal=True,
            )
        time.sleep(POLL)


def stop(child: subprocess.Popen[bytes]) -> None:
    """Ask the child to stop as Ctrl+C would (it parks its jobs, resumable), kill it if it
    does not within STOP_TIMEOUT, and reap it."""
    if child.poll() is None:
        with contextlib.suppress(OSError):
            child.send_signal(signal.CTRL_BREAK_EVENT if os.name == "nt" else signal.SIGTERM)
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
    child.wait()


def _own_group() -> dict[str, object]:
    """A process group of its own, so a Ctrl+C in the terminal reaches this command only and
    the child is stopped in order by `stop`."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "it wrote nothing."

"""`python -m backend worker`: one engine that speaks a coordinator's scenes (backend.cli.
worker_pull), on its own device, and with --serve also answers /tts and /v1 itself.

The engine comes from this machine's CHATTERBOX_* settings (CHATTERBOX_ENGINE=piper for a CPU
worker); --device cuda:1 picks a card by setting CUDA_VISIBLE_DEVICES before any engine starts.
SIGTERM or Ctrl+C gives the scene held back to the coordinator and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING

from backend.cli.worker_client import CoordinatorClient, Refused
from backend.cli.worker_pull import PullWorker
from backend.core.logging import configure_logging
from backend.core.settings import Settings

if TYPE_CHECKING:
    from backend.engines.manager import ModelManager

log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m backend worker",
        description="Speak the scenes of a narration server (the coordinator) on this "
        "machine's engine, pulled over HTTP under leases.",
    )
    p.add_argument("--coordinator", required=True, help="the server's URL, e.g. http://pc:8000")
    p.add_argument("--token", help="its worker token (default: CHATTERBOX_WORKER_TOKEN)")
    p.add_argument("--name", help="this worker's name in /workers and /metrics")
    p.add_argument("--device", help="cpu, cuda, or cuda:N for the Nth card")
    p.add_argument("--serve", action="store_true", help="also answer /tts and /v1 here")
    p.add_argument("--host", default="127.0.0.1", help="--serve's address (default loopback)")
    p.add_argument("--port", type=int, default=8000, help="--serve's port (default 8000)")
    return p


def default_name() -> str:
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()).strip("-.") or "worker"
    return f"{host}-{os.getpid()}"


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    token = args.token or os.environ.get("CHATTERBOX_WORKER_TOKEN")
    if not token:
        print("No worker token: pass --token or set CHATTERBOX_WORKER_TOKEN.", file=sys.stderr)
        return 2
    if args.device and (card := re.fullmatch(r"cuda:(\d+)", args.device)):
        os.environ["CUDA_VISIBLE_DEVICES"] = card.group(1)  # before any engine process starts
        args.device = "cuda"
    overrides = {"device": args.device} if args.device else {}
    if args.serve:
        overrides |= {"host": args.host, "port": args.port, "local_worker": False}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    if args.serve and (problem := settings.exposure_problem()):
        print(f"Refusing to start: {problem}", file=sys.stderr)
        return 2
    client = CoordinatorClient(args.coordinator, token)
    name = args.name or default_name()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    if args.serve:
        return _serve(settings, client, name, stopped)
    from backend.engines.manager import ModelManager  # after CUDA_VISIBLE_DEVICES is set
    from backend.engines.select import build_catalog

    manager = ModelManager(build_catalog(settings), keep_alive=-1)
    try:
        return _pull(settings, client, manager, name, stopped)
    finally:
        manager.close()


def _pull(
    settings: Settings,
    client: CoordinatorClient,
    manager: ModelManager,
    name: str,
    stopped: threading.Event,
) -> int:
    worker = PullWorker(
        client,
        manager,
        name,
        settings.data_dir / "worker_voices",
        settings.scene_timeout_seconds,
        settings.speaker_check != "off",
    )
    failure: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # Refused: reported below, the process exits 2
            failure.append(exc)
        finally:
            stopped.set()

    thread = threading.Thread(target=run, name="pull-worker", daemon=True)
    log.info("Worker %s pulls scenes from %s with %s", name, client.base_url, manager.name)
    thread.start()
    while not stopped.wait(1.0):  # a signal handler runs only between these waits
        pass
    worker.stop()
    worker.release()
    if failure:
        problem = failure[0]
        if isinstance(problem, Refused):
            print(f"The coordinator refused this worker: {problem}", file=sys.stderr)
            print(problem.body.get("solution", ""), file=sys.stderr)
            return 2
        raise problem
    log.info("Worker %s stops after %d scenes", name, worker.done)
    return 0


def _serve(
    settings: Settings, client: CoordinatorClient, name: str, stopped: threading.Event
) -> int:
    """The speech routes on --host/--port through the app's own engine, which also pulls."""
    import uvicorn

    from backend.main import create_app

    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port))
    server.install_signal_handlers = lambda: None  # ours: stop pulling, then the server
    result: list[int] = []

    def pull() -> None:
        while not stopped.is_set() and not hasattr(app.state, "manager"):
            stopped.wait(0.2)  # the lifespan builds the manager once uvicorn starts
        if not stopped.is_set():
            result.append(_pull(settings, client, app.state.manager, name, stopped))
        server.should_exit = True

    threading.Thread(target=pull, name="pull", daemon=True).start()
    server.run()
    stopped.set()
    return result[0] if result else 0

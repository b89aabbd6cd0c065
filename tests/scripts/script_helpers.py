"""Shared by the tests of the repository-root scripts: run one as a user would, and tiny HTTP stubs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.e2e.conftest import ROOT, free_port

__all__ = ["ROOT", "free_port", "http_stub", "reply", "run_script", "torch_blocker"]


def torch_blocker(folder: Path) -> Path:
    """A folder whose torch.py fails on import: put it on PYTHONPATH to prove a script avoids torch."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "torch.py").write_text("raise ImportError('this script must not import torch')\n")
    return folder


def run_script(
    name: str,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ROOT/name with `python -S` (no site-packages: standard library only, as on a fresh
    machine) in a clean environment plus `env`; stdin is the given text, then EOF."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHATTERBOX_", "HF_", "PIP_"))}
    base.pop("PORT", None)  # the server port too (backend.core.constants.listen_port)
    return subprocess.run(
        [sys.executable, "-S", str(ROOT / name), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd or ROOT,
        timeout=timeout,
    )


Respond = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def http_stub(respond: Respond) -> Iterator[str]:
    """A throwaway HTTP server on a free loopback port; `respond(handler)` answers every GET and POST."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            respond(self)

        def do_POST(self) -> None:
            respond(self)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def reply(status: int, body: bytes, content_type: str = "application/json") -> Respond:
    """A `respond` that answers with one fixed status and body."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond

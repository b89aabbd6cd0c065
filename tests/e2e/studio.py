"""The real studio for browser tests: `streamlit run frontend/app.py` on a free loopback port,
pointed at a live backend, and a headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, free_port, stop_process, wait_for_answer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",  # the test presses play from script
]
ARTIFACTS = Path(os.environ.get("CHATTERBOX_TEST_ARTIFACTS", ROOT / "test-artifacts"))


class StudioServer:
    """Streamlit in a child process; `url` once `wait_ready` returns."""

    def __init__(self, backend_url: str, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (log_dir / "streamlit.log").open("wb")
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "frontend/app.py",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
        environment = {**os.environ, "CHATTERBOX_URL": backend_url}
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for_answer(self.process, self.url + "/_stcore/health", (200,), timeout)

    def stop(self) -> None:
        stop_process(self.process, self.log)

"""The real-Chatterbox tier: chatterbox-tts 0.1.7, unchanged, behind our server, on a random-weight
checkpoint. Marked `chatterbox` (by tests/conftest.py); run it alone with `pytest -m chatterbox`.

chatterbox-tts pins torch 2.6.0, so it lives in its own environment (default
`.venv_real_chatterbox`, or CHATTERBOX_TEST_PYTHON): the server runs there as a child process, and
these tests speak to it over HTTP on loopback. The checkpoints are built once per package version
under ~/.cache/chatterbox-studio (about 3 GB and a minute each; the turbo and multilingual ones
only when a test asks for them). Loading the multilingual model offline needs a spacy_pkuseg
model: the stand-in studio_tools.pkuseg_home trains is linked into the checkpoint's folder, where
set-up puts the real one (the engine host reads it there), and PKUSEG_HOME points the probes,
which load the model without our engine, at it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from backend.core import models
from studio_tools import pkuseg_home
from tests.e2e.conftest import ROOT, LiveServer, wait_for_answer
from tests.helpers.audio import clip_bytes
from tests.helpers.wait import wait_for

HERE = Path(__file__).resolve().parent
TOKENS = 16  # speech tokens per generate call: 16 x 40 ms = 0.64 s of audio
SAMPLES_PER_TOKEN = 960  # 24 kHz / 25 tokens per second
PKUSEG_HOME = str(pkuseg_home.default_home())
INSTALL = 'python3 -m venv .venv_real_chatterbox && .venv_real_chatterbox/bin/pip install -e ".[chatterbox]"'


RUNNING: list[ChatterboxServer] = []  # servers of the current module, for failure reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failing or erroring test's report carries the end of every running server's log."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in RUNNING:
            tail = server.log_path.read_text(errors="replace").splitlines()[-60:]
            report.sections.append((f"server log {server.log_path}", "\n".join(tail)))


def real_python() -> Path:
    """The interpreter of the environment that has chatterbox-tts; fails with the fix if absent."""
    default = ROOT / ".venv_real_chatterbox" / ("Scripts" if os.name == "nt" else "bin") / "python"
    python = Path(os.environ.get("CHATTERBOX_TEST_PYTHON", default))
    if not python.exists():
        pytest.fail(f"No Chatterbox test environment at {python}. Make it with: {INSTALL}")
    return python


def run_real(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "PKUSEG_HOME": PKUSEG_HOME}
    return subprocess.run(
        [str(real_python()), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def built(*args: str) -> Path:
    """The folder a studio_tools builder printed last (it builds only what is not cached)."""
    done = run_real("-m", *args)
    return Path(done.stdout.strip().splitlines()[-1])


def real_scores(path: Path) -> list[float | None]:
    """Every score the real code computed, in order (the log holds their reprs)."""
    return [None if line == "None" else float(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="session")
def checkpoint() -> Path:
    """The cached random-weight checkpoint of the original model (built on first use)."""
    return built("studio_tools.make_test_checkpoint")


@pytest.fixture(scope="session")
def turbo_checkpoint() -> Path:
    """The cached random-weight Chatterbox Turbo checkpoint (built on first use)."""
    return built("studio_tools.make_test_checkpoint", "--model", "turbo")


@pytest.fixture(scope="session")
def multilingual_checkpoint() -> Path:
    """The cached random-weight Chatterbox Multilingual checkpoint, and the stand-in pkuseg
    model its tokenizer needs offline (both built on first use)."""
    home = built("studio_tools.pkuseg_home")
    folder = built("studio_tools.make_test_checkpoint", "--model", "multilingual")
    segmenter = models.pkuseg_home(folder)  # where set-up puts the real one
    if not segmenter.exists():
        segmenter.symlink_to(home, target_is_directory=True)
    return folder


@pytest.fixture(scope="session")
def family_cache(tmp_path_factory, checkpoint, turbo_checkpoint, multilingual_checkpoint):
    """A model cache with one folder per model, as set-up makes it (links to the builds)."""
    cache = tmp_path_factory.mktemp("family_cache")
    for key, folder in (
        ("original", checkpoint),
        ("turbo", turbo_checkpoint),
        ("multilingual", multilingual_checkpoint),
    ):
        (cache / key).symlink_to(folder, target_is_directory=True)
    return cache


class ChatterboxServer(LiveServer):
    """bounded_server.py in the real environment, on a free loopback port."""

    def __init__(self, data_dir: Path, model_dir: Path, **env: str):
        self.calls_log = data_dir / "prepare_conditionals.log"
        self.calls_log.touch()
        super().__init__(
            data_dir,
            command=[str(real_python()), str(HERE / "bounded_server.py")],
            CHATTERBOX_ENGINE="chatterbox",
            CHATTERBOX_DEVICE="cpu",
            CHATTERBOX_MODEL_CACHE_DIR=str(model_dir),
            CHATTERBOX_LOAD_ON_STARTUP="false",
            CHATTERBOX_QUALITY_CHECK="off",  # random weights speak noise, not words
            PKUSEG_HOME=PKUSEG_HOME,
            BOUNDED_TOKENS=str(TOKENS),
            BOUNDED_CALL_LOG=str(self.calls_log),
            **env,
        )

    def wait_ready(self) -> None:
        wait_for_answer(self.process, self.url + "/health", (200,), timeout=120)
        # Start-up imports torch and chatterbox on the model thread; wait until that is done.
        wait_for(self._runtime_imported, timeout=120, interval=0.2)

    def _runtime_imported(self) -> bool:
        try:
            return self.health()["runtime_imported"]
        except requests.RequestException:  # /health can be slow while the imports hold the GIL
            return False

    def health(self) -> dict:
        return requests.get(self.url + "/health", timeout=10).json()

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=300, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=60, **kwargs)

    def add_voice(self, name: str, pitch: float) -> str:
        """Upload a 3.2 s speech-like clip as a library voice; short clips keep the S3Gen
        prompt, and the tests, short."""
        clip = clip_bytes(3.2, pitch=pitch)
        response = self.post("/voices", files={"file": (f"{name}.wav", clip)}, data={"name": name})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def embeddings(self) -> int:
        """How many times the real `prepare_conditionals` ran in the server."""
        return len(self.calls_log.read_text().splitlines())


@pytest.fixture(scope="module")
def start_server(tmp_path_factory, checkpoint) -> Iterator:
    servers: list[ChatterboxServer] = []

    def start(model_dir: Path | None = None, **env: str) -> ChatterboxServer:
        folder = model_dir or checkpoint
        server = ChatterboxServer(tmp_path_factory.mktemp("chatterbox"), folder, **env)
        servers.append(server)
        RUNNING.append(server)
        try:
            server.wait_ready()
        except Exception:
            sys.stderr.write(server.log_path.read_text(errors="replace")[-4000:])
            raise
        return server

    yield start
    for server in servers:
        server.stop()
        RUNNING.remove(server)

"""docker/backend.Dockerfile's command honours the port and the Piper voice it is given.

No image is built (the CI machines have no docker engine): the Dockerfile's own CMD runs here as a
command, with the environment a `docker run -e ...` would give it, on a loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, free_port, stop_process, wait_for_answer
from tests.helpers.piper_voices import make_voice

DOCKERFILE = ROOT / "docker" / "backend.Dockerfile"


def image_command() -> list[str]:
    """The CMD of the Dockerfile (exec form), with the image's `python` as this interpreter."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1, lines
    command = json.loads(lines[0].removeprefix("CMD "))
    return [sys.executable if command[0] == "python" else command[0], *command[1:]]


def run_image(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, object]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHATTERBOX_") and key not in ("PORT", "MODEL_PATH")
    }
    environment |= {
        "CHATTERBOX_HOST": "127.0.0.1",  # the image says 0.0.0.0; a test binds loopback only
        "CHATTERBOX_ENGINE": "piper",
        "CHATTERBOX_DATA_DIR": str(tmp_path / "data"),
        "CHATTERBOX_LOAD_ON_STARTUP": "false",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    log = (tmp_path / "server.log").open("ab")
    process = subprocess.Popen(
        image_command(), cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    return process, log


@pytest.mark.parametrize("variable", ["PORT", "CHATTERBOX_PORT"])
def test_the_image_listens_on_the_port_it_is_given(tmp_path, variable):
    port = free_port()
    process, log = run_image(tmp_path, **{variable: str(port)})
    try:
        wait_for_answer(process, f"http://127.0.0.1:{port}/health", (200,), timeout=60)
    finally:
        stop_process(process, log)


def test_the_seeds_deployment_speaks_with_the_model_path_voice_on_its_port(tmp_path):
    """`docker run -e MODEL_PATH=/models/en_US-jenny-medium.onnx -e PORT=5000 -p 5000:5000`:
    that voice is the built-in one; the bundled voice stays available by its name."""
    model = make_voice(tmp_path / "models", "en_US-jenny-medium", inference={"length_scale": 1.6})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, log = run_image(tmp_path, PORT=str(port), MODEL_PATH=str(model))
    try:
        wait_for_answer(process, url + "/health", (200,), timeout=60)
        health = requests.get(url + "/health", timeout=5).json()
        text = {"text": "Which voice is this?"}
        jenny = requests.post(url + "/tts", json=text, timeout=60)
        joe = requests.post(url + "/tts", json=text | {"voice": "en_US-joe-medium"}, timeout=60)
        listed = requests.get(url + "/voices", timeout=5).json()["engine_voices"]
    finally:
        stop_process(process, log)

    assert health["voice"] == "en_US-jenny-medium"
    assert jenny.status_code == joe.status_code == 200
    assert (jenny.headers["x-voice"], joe.headers["x-voice"]) == ("builtin", "en_US-joe-medium")
    assert float(jenny.headers["x-audio-seconds"]) / float(joe.headers["x-audio-seconds"]) > 1.3
    assert listed == [{"id": "en_US-joe-medium", "name": "en_US-joe-medium"}]

"""backend/cli/server.py: with no server answering, the run starts one (real Piper) and it is
gone when the run ends; one that cannot start is reported with its own words."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import requests
import soundfile

from backend.cli.narrate import main
from backend.cli.resume import STATE_NAME
from backend.cli.server import free_port
from tests.backend.cli.conftest import PARAGRAPHS
from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[3]


def test_a_run_with_no_server_starts_one_for_itself_and_it_is_gone_afterwards(
    text_book, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("CHATTERBOX_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("CHATTERBOX_ENGINE", "piper")
    monkeypatch.setenv("CHATTERBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHATTERBOX_MODEL_CACHE_DIR", str(tmp_path / "model_cache"))
    monkeypatch.setenv("CHATTERBOX_QUALITY_CHECK", "off")
    text_book.write_text("The keeper lights the lamp at dusk.", encoding="utf-8")
    assert main([str(text_book), "--out", "lamp.wav"]) == 0
    err = capsys.readouterr().err
    url = re.search(r"for this run at (http://127\.0\.0\.1:\d+)", err).group(1)
    pid = int(re.search(r"Started it \(process (\d+)\)", err).group(1))
    audio, rate = soundfile.read("lamp.wav")
    assert rate == 22050 and len(audio) > rate  # Piper said it: over a second of speech
    assert abs(audio).max() > 0.05
    assert not psutil.pid_exists(pid)
    try:
        requests.get(f"{url}/health", timeout=2)
        raise AssertionError(f"{url} still answers")
    except requests.ConnectionError:
        pass


def test_a_server_that_refuses_to_start_is_reported_in_its_own_words(
    text_book, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("CHATTERBOX_PORT", str(free_port()))
    monkeypatch.setenv("CHATTERBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHATTERBOX_ALLOWED_HOSTS", '["*"]')  # without a token: it refuses
    assert main([str(text_book), "--format", "wav"]) == 1
    err = capsys.readouterr().err
    assert "error: The narration server this command started stopped at once: " in err
    assert "Refusing to start: CHATTERBOX_ALLOWED_HOSTS answers '*' (any name)" in err
    assert "\n  Fix what it says" in err
    assert "Traceback" not in err


def test_ctrl_c_stops_the_server_it_started_and_the_next_run_resumes_the_same_job(
    text_book, tmp_path, monkeypatch
):
    for name, value in {
        "CHATTERBOX_PORT": str(free_port()),
        "CHATTERBOX_ENGINE": "piper",
        "CHATTERBOX_DATA_DIR": str(tmp_path / "data"),
        "CHATTERBOX_MODEL_CACHE_DIR": str(tmp_path / "model_cache"),
        "CHATTERBOX_QUALITY_CHECK": "off",
    }.items():
        monkeypatch.setenv(name, value)
    # Long enough that Piper is still speaking when the signal comes (many seconds of work).
    text_book.write_text(" ".join(PARAGRAPHS * 4), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "backend", "narrate", str(text_book), "--out", "r.wav"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as cli:
        started = ""
        while "Started it" not in started:
            started = cli.stderr.readline()
            assert started, "the command ended before its server started"
        pid = int(re.search(r"process (\d+)", started).group(1))
        wait_for(lambda: Path(STATE_NAME).exists(), 60)
        cli.send_signal(signal.SIGINT)
        _, err = cli.communicate(timeout=60)
    assert cli.returncode == 130, err
    assert "The narration server this command started has stopped with it" in err
    assert "Run the same command again to resume them where they stopped." in err
    assert not psutil.pid_exists(pid)
    [job_id] = re.findall(r'"job": "(\w+)"', Path(STATE_NAME).read_text())
    assert main([str(text_book), "--out", "r.wav"]) == 0
    assert re.findall(r'"job": "(\w+)"', Path(STATE_NAME).read_text()) == [job_id]
    assert soundfile.info("r.wav").frames > 0

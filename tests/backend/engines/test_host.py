"""The engine host: a FakeEngine in a spawned child process behind the ModelManager, as the server
runs every real engine. Killing, crashing and hanging are real: the child is a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest

from backend.core.errors import (
    EngineFault,
    ModelLoadFailed,
    SynthesisTimeout,
    VoiceCloningUnavailable,
)
from backend.core.speech import SynthesisParams, VoiceRef
from backend.engines.fake import FakeEngine
from backend.engines.host import EngineHost
from backend.engines.manager import ModelManager
from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[3]
HANG, CRASH = "HANG", "CRASH"


def speak(engine, text="hello there", ref=None):
    return engine.synthesize(text, engine.prepare_voice(ref), SynthesisParams())


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def hosted() -> Iterator:
    managers: list[ModelManager] = []

    def make(**fake) -> ModelManager:
        manager = ModelManager(EngineHost(FakeEngine, hang_on=HANG, crash_on=CRASH, **fake))
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.close()


def host(manager: ModelManager) -> dict:
    return manager.status()["engine_host"]


def test_a_hosted_engine_speaks_in_a_process_of_its_own_and_unload_ends_it(hosted, tmp_path):
    manager = hosted()
    ref = VoiceRef("narrator", tmp_path / "narrator.wav", tmp_path)

    audio = manager.call(lambda engine: speak(engine, ref=ref))

    pid = host(manager)["pid"]
    assert pid is not None and pid != os.getpid()
    assert manager.status()["model_loaded"] and manager.status()["device"] == "cpu"
    assert audio.samples.dtype == np.float32 and audio.sample_rate == 16000
    # the voice's handle stayed in the host, and the audio speaks in that voice's tone
    assert FakeEngine().speaker_similarity(audio, "narrator") == 1.0

    report = asyncio.run(manager.unload())
    assert report["unloaded"] and gone(pid)
    assert report["before"]["host_rss_bytes"] > 0 and report["after"]["host_rss_bytes"] == 0
    assert host(manager) | {"starts": 1} == {
        "pid": None,
        "rss_bytes": None,
        "starts": 1,
        "last_exit": "unloaded",
    }


def test_an_app_error_raised_in_the_host_arrives_as_its_own_class_with_its_solution(hosted):
    manager = hosted(can_clone=False)
    ref = VoiceRef("someone", Path("someone.wav"), Path("."))

    with pytest.raises(VoiceCloningUnavailable) as raised:
        manager.call(lambda engine: engine.prepare_voice(ref))

    assert raised.value.solution == VoiceCloningUnavailable.default_solution
    assert host(manager)["pid"] is not None  # an error is an answer: the host lives on


def test_a_load_that_fails_in_the_host_is_model_load_failed_naming_the_cause(hosted):
    manager = hosted(fail_load=RuntimeError("weights are corrupt"))

    with pytest.raises(ModelLoadFailed, match="RuntimeError: weights are corrupt"):
        manager.call(speak)
    assert manager.status()["state"] == "error"


def test_a_call_past_its_deadline_kills_the_host_and_the_next_call_starts_a_fresh_one(hosted):
    manager = hosted()
    manager.call(speak)
    first = host(manager)["pid"]

    with pytest.raises(TimeoutError):
        manager.call(lambda engine: speak(engine, f"{HANG} forever"), timeout=0.5)

    assert gone(first)  # killed, not abandoned on a thread: one model at a time
    assert "ran more than 0.5 s" in host(manager)["last_exit"]
    manager.call(speak)
    assert host(manager)["pid"] not in (None, first) and host(manager)["starts"] == 2
    assert manager.status()["in_flight"] == 0


def test_an_awaited_call_past_its_deadline_is_synthesis_timeout_and_the_host_restarts(hosted):
    manager = hosted()
    manager.call(speak)
    first = host(manager)["pid"]

    with pytest.raises(SynthesisTimeout, match=r"longer than 0\.5 s"):
        asyncio.run(manager.run(lambda engine: speak(engine, f"{HANG} forever"), deadline=0.5))

    assert gone(first)
    assert asyncio.run(manager.run(speak, deadline=30)).seconds > 0  # in time: nothing killed
    assert host(manager)["starts"] == 2 and host(manager)["pid"] not in (None, first)


def test_a_host_killed_mid_request_fails_it_with_engine_fault_and_the_next_request_restarts(
    hosted,
):
    manager = hosted()
    handle = manager.call(lambda engine: engine.prepare_voice(None))
    pid = host(manager)["pid"]
    # One request to the host, with a handle it made earlier: the kill lands while it hangs
    # in it, or just before it is sent (then the host that held the handle is gone, and the
    # call fails the same way instead of reaching a fresh host).
    call = manager.submit(
        lambda engine: engine.synthesize(f"{HANG} until killed", handle, SynthesisParams())
    )
    assert call.wait_started(10)

    os.kill(pid, signal.SIGKILL)

    with pytest.raises(EngineFault, match="killed by SIGKILL") as raised:
        call.result(timeout=10)
    assert raised.value.status_code == 503 and "next request" in raised.value.solution
    status = manager.status()
    assert status["state"] == "error" and status["last_error"]["error"] == "engine_fault"
    assert status["engine_host"]["last_exit"] == "killed by SIGKILL"
    manager.call(speak)
    assert manager.status()["model_loaded"] and host(manager)["pid"] != pid


def test_a_native_crash_in_the_engine_is_engine_fault_and_the_server_process_lives(hosted):
    manager = hosted()

    with pytest.raises(EngineFault):
        manager.call(lambda engine: speak(engine, f"{CRASH} in native code"))

    assert manager.call(speak).seconds > 0  # a fresh host; this process never noticed


def test_a_host_that_died_between_calls_is_replaced_before_the_next_one(hosted):
    manager = hosted()
    manager.call(speak)
    pid = host(manager)["pid"]
    os.kill(pid, signal.SIGKILL)
    # until the process has fully ended (a killed process with threads reads as a zombie while
    # its last thread still holds the pipe: a call sent then is in flight, and gets engine_fault)
    wait_for(lambda: host(manager)["pid"] is None)

    assert manager.call(speak).seconds > 0
    assert host(manager)["last_exit"] == "killed by SIGKILL" and host(manager)["starts"] == 2


def test_a_host_that_dies_between_the_steps_of_one_call_fails_it_with_engine_fault(hosted):
    manager = hosted()
    manager.call(speak)
    pid = host(manager)["pid"]

    def embed_then_lose_the_host(engine):
        handle = engine.prepare_voice(None)  # held by the host that is about to die
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: gone(pid))
        return engine.synthesize("hello there", handle, SynthesisParams())

    with pytest.raises(EngineFault, match="killed by SIGKILL"):
        manager.call(embed_then_lose_the_host)  # not a 500 about a handle the new host lacks

    assert manager.call(speak).seconds > 0  # the next request is served as usual
    assert host(manager)["pid"] != pid


def test_no_host_outlives_its_server_even_when_the_server_is_killed(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from backend.core.speech import SynthesisParams
        from backend.engines.fake import FakeEngine
        from backend.engines.host import EngineHost

        if __name__ == "__main__":
            host = EngineHost(FakeEngine)
            host.load()
            print(host.host_status()["pid"], flush=True)
            sys.stdin.read()  # until the test kills this process
        """
    )
    path = tmp_path / "server.py"
    path.write_text(script)
    with subprocess.Popen(
        [sys.executable, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            pid = int(server.stdout.readline())
            assert not gone(pid)
            server.kill()  # no clean-up runs: the host notices its parent is gone
            server.wait(30)
            wait_for(lambda: gone(pid), timeout=30)
        finally:
            server.kill()


def test_closing_kills_a_host_whose_call_still_runs_after_the_grace(hosted):
    manager = hosted()
    manager.call(speak)
    pid = host(manager)["pid"]
    call = manager.submit(lambda engine: speak(engine, f"{HANG} while the server stops"))
    assert call.wait_started(10)

    manager.close(grace=0.5)

    assert gone(pid)
    with pytest.raises(EngineFault, match="the server is stopping"):
        call.result(timeout=10)


def test_a_hosted_engines_sentence_marks_come_back_across_the_pipe(hosted):
    audio = hosted().call(lambda engine: speak(engine, "One sentence. And another one."))
    assert [mark.text for mark in audio.marks] == ["One sentence.", "And another one."]
    assert abs(audio.marks[-1].end - audio.seconds) < 1e-3

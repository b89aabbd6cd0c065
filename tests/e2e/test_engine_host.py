"""The real server with Piper in its engine host: unload gives the memory back, and Ctrl+C with a
host running leaves no process behind."""

from __future__ import annotations

import signal

import psutil
import requests

from tests.e2e.conftest import LiveServer
from tests.helpers.wait import wait_for

TEXT = "The engine speaks in a process of its own, and leaves nothing behind when it ends."


def health(server: LiveServer) -> dict:
    return requests.get(server.url + "/health", timeout=10).json()


def speak(server: LiveServer) -> None:
    response = requests.post(server.url + "/tts", json={"text": TEXT}, timeout=120)
    assert response.status_code == 200, response.text


def test_unload_ends_the_host_and_the_servers_memory_is_back_within_five_percent(tmp_path):
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper", CHATTERBOX_LOAD_ON_STARTUP="false")
    try:
        server.wait_ready()
        before = psutil.Process(server.process.pid).memory_info().rss
        speak(server)
        loaded = health(server)
        host = psutil.Process(loaded["engine_host"]["pid"])
        assert loaded["model_loaded"] and host.ppid() == server.process.pid

        report = requests.post(server.url + "/model/unload", timeout=60).json()

        assert report["unloaded"] and report["before"]["host_rss_bytes"] > 0
        assert report["after"]["host_rss_bytes"] == 0
        wait_for(lambda: not host.is_running() or host.status() == psutil.STATUS_ZOMBIE)
        after = psutil.Process(server.process.pid).memory_info().rss
        print(f"server RSS before load {before}, after unload {after}: {after / before:.3f}")
        assert after <= before * 1.05
        assert health(server)["engine_host"]["pid"] is None
        speak(server)  # the next request starts a fresh host
        assert health(server)["engine_host"]["starts"] >= 2
    finally:
        server.stop()


def test_ctrl_c_with_a_host_running_leaves_no_process_behind(tmp_path):
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper")
    try:
        server.wait_ready()
        speak(server)
        family = psutil.Process(server.process.pid).children(recursive=True)
        host = health(server)["engine_host"]["pid"]
        assert host in [child.pid for child in family]

        server.process.send_signal(signal.SIGINT)  # what Ctrl+C in the start window sends
        server.process.wait(timeout=60)
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.log.close()

    assert "Application shutdown complete." in server.log_path.read_text()
    _, alive = psutil.wait_procs(family, timeout=10)
    assert [child.pid for child in alive] == []

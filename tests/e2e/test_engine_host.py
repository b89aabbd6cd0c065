"""The real server with Piper in its engine host: unload gives the memory back, a kill -9 of the
host mid-request is a 503 engine_fault and the next request is served, and Ctrl+C with a host
running leaves no process behind."""

from __future__ import annotations

import signal
import threading

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


def test_a_host_killed_mid_request_is_503_engine_fault_and_the_next_request_is_served(tmp_path):
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper")
    try:
        server.wait_ready()
        speak(server)
        host = psutil.Process(health(server)["engine_host"]["pid"])
        busy_from = sum(host.cpu_times()[:2])
        answers: list[requests.Response] = []
        long_text = " ".join([TEXT] * 6)  # one chunk (under 600 characters): seconds of speech
        asking = threading.Thread(
            target=lambda: answers.append(
                requests.post(server.url + "/tts", json={"text": long_text}, timeout=120)
            )
        )
        asking.start()
        # the host is speaking once it has used another half second of CPU
        wait_for(lambda: sum(host.cpu_times()[:2]) > busy_from + 0.5, timeout=60)

        host.kill()
        asking.join(timeout=120)

        assert answers[0].status_code == 503, answers[0].text
        assert answers[0].json()["error"] == "engine_fault"
        assert "killed by SIGKILL" in answers[0].json()["message"]
        speak(server)
        after = health(server)
        assert after["engine_host"]["pid"] not in (None, host.pid) and after["model_loaded"]
    finally:
        server.stop()

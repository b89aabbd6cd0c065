"""chatterbox-tts 0.1.7 in the engine host: torch lives only in the host, /health answers while
the model loads, unload ends the host and gives the memory back, a kill -9 mid-request is a 503
engine_fault and the next request starts a fresh host. Random weights (see conftest.py)."""

from __future__ import annotations

import os
import threading

import psutil
import pytest
import requests

from tests.helpers.wait import wait_for

TEXT = "The model speaks from a process of its own."


def loads_torch(pid: int) -> bool:
    """Whether the process has torch's native library mapped (imported torch)."""
    maps = psutil.Process(pid).memory_maps()
    return any(os.path.basename(mapping.path).startswith("libtorch") for mapping in maps)


@pytest.fixture(scope="module")
def server(start_server):
    return start_server()


def host_pid(server) -> int | None:
    return server.health()["engine_host"]["pid"]


def test_torch_is_loaded_in_the_host_and_never_in_the_server(server):
    pid = host_pid(server)  # started at start-up to import the libraries ahead of a load

    assert pid is not None and psutil.Process(pid).ppid() == server.process.pid
    assert loads_torch(pid)
    assert not loads_torch(server.process.pid)


def test_health_answers_while_the_model_loads(server):
    states: list[str] = []
    loading = threading.Thread(target=lambda: server.post("/model/load"))
    loading.start()
    try:
        while loading.is_alive():  # every answer comes while torch reads 3 GB in the host
            states.append(requests.get(server.url + "/health", timeout=2).json()["state"])
    finally:
        loading.join()
    assert "loading" in states
    assert server.health()["state"] == "ready" and not loads_torch(server.process.pid)


def test_unload_ends_the_host_and_the_server_keeps_its_size(server):
    server.post("/model/load")
    pid, before = host_pid(server), server.health()["memory"]["rss_bytes"]

    report = server.post("/model/unload").json()

    assert report["unloaded"] and report["before"]["host_rss_bytes"] > 1_000_000_000
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie")
    assert server.health()["engine_host"]["pid"] is None
    assert server.health()["memory"]["rss_bytes"] <= before * 1.05


def test_a_host_killed_mid_request_is_503_engine_fault_and_the_next_request_is_served(server):
    voice = server.add_voice("dave", 200.0)
    server.post("/model/load")
    pid, embedded = host_pid(server), server.embeddings()
    answers: list[requests.Response] = []
    asking = threading.Thread(
        target=lambda: answers.append(server.post("/tts", json={"text": TEXT, "voice": voice}))
    )
    asking.start()
    wait_for(lambda: server.embeddings() > embedded, timeout=120)  # inside the host, embedding

    psutil.Process(pid).kill()
    asking.join(timeout=120)

    assert answers[0].status_code == 503, answers[0].text
    assert answers[0].json()["error"] == "engine_fault"
    health = server.health()
    assert health["last_error"]["error"] == "engine_fault"
    assert health["engine_host"]["last_exit"] == "killed by SIGKILL"
    again = server.post("/tts", json={"text": TEXT, "voice": voice})
    assert again.status_code == 200, again.text
    assert host_pid(server) not in (None, pid)

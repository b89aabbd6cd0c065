"""The fake's pull workers (tests/frontend/fake_workers.py) keep the server's contract: GET /workers
of a real coordinator on loopback (FakeEngine) that workers have claimed from, behind a real
ApiClient, and of one without a worker token, against FakeApi's answers (test_fake_api.py holds
the method to the protocol with the others)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from frontend.api_client import ApiClient
from tests.frontend import server_errors
from tests.frontend.answers import conforms
from tests.frontend.cloning_server import cloning_serving
from tests.frontend.fake_api import FakeApi
from tests.helpers.wait import wait_for

WORKER_TOKEN = "contract-worker-token"
ONE_SCENE = "A scene for a worker to hold."


@pytest.fixture(scope="module")
def coordinator(tmp_path_factory) -> Iterator[ApiClient]:
    """A server that takes workers, its own engine leaving the jobs' scenes to them."""
    data = tmp_path_factory.mktemp("fake-workers-coordinator")
    with cloning_serving(data, worker_token=WORKER_TOKEN, local_worker=False) as api:
        yield api  # no worker token: GET /workers is the users' route


@pytest.fixture(scope="module")
def no_workers(tmp_path_factory) -> Iterator[ApiClient]:
    """A server without a worker token (the default)."""
    with cloning_serving(tmp_path_factory.mktemp("fake-workers-none")) as api:
        yield api


def _claim(api: ApiClient, worker: str) -> requests.Response:
    """A worker of the fake engine asks for a scene, with the worker token."""
    return requests.post(
        f"{api.base_url}/workers/claim",
        json={"worker": worker, "engine": "fake"},
        headers={"Authorization": f"Bearer {WORKER_TOKEN}"},
        timeout=30,
    )


def test_the_workers_a_server_heard_from_are_listed_alike_by_both(coordinator: ApiClient):
    coordinator.create_job(text=ONE_SCENE)
    wait_for(lambda: _claim(coordinator, "pc-2").status_code == 200, 30)  # it holds the scene
    assert _claim(coordinator, "pc-1").status_code == 204  # heard from, given nothing
    fake = FakeApi()
    fake.add_worker("pc-2", "fake", leases=1)
    fake.add_worker("pc-1", "fake")

    real_answer, fake_answer = coordinator.workers(), fake.workers()

    conforms("workers", real_answer)
    conforms("workers", fake_answer)
    assert real_answer["enabled"] is fake_answer["enabled"] is True
    real, faked = real_answer["workers"], fake_answer["workers"]
    assert [w | {"last_seen": 0} for w in faked] == [w | {"last_seen": 0} for w in real]
    assert [w["name"] for w in real] == ["pc-1", "pc-2"]  # by name
    assert all(isinstance(w["last_seen"], float) for w in real + faked)


def test_a_server_without_a_worker_token_lists_none_as_a_fresh_fake_does(no_workers: ApiClient):
    real, fake = no_workers.workers(), FakeApi().workers()

    conforms("workers", real)
    assert fake == real == {"enabled": False, "workers": []}


def test_the_fakes_workers_disabled_error_is_the_servers_own(no_workers: ApiClient):
    answer = _claim(no_workers, "pc-1")
    scripted = server_errors.workers_disabled()

    body = answer.json()
    assert (answer.status_code, body["error"]) == (scripted.status, scripted.code)
    assert (body["message"], body["solution"]) == (scripted.message, scripted.solution)

"""GET /jobs/{id}/scenes (backend/api/routes_scenes.py): a job's scenes a page at a time, over the
app's real JobStore in tmp_path, with what a poll needs to skip the scenes that cannot change."""

from __future__ import annotations

import asyncio
import threading

import pytest

from backend.jobs.store import JobStore

SCENES = 250


def store_of(client) -> JobStore:
    return client.app.state.jobs.store


def seeded(client, scenes: int = SCENES, source_kind: str = "pdf") -> str:
    """A job the worker was never given (so nothing moves it) with `scenes` pending scenes."""
    store = store_of(client)
    job = store.create_job("Long book", source_kind, None, "builtin", {}, None)
    rows = [{"text": f"Scene {n} has a sentence.", "page": n} for n in range(1, scenes + 1)]
    store.add_scenes(job["id"], rows)
    return job["id"]


def claimed(store: JobStore, job_id: str, idx: int) -> None:
    """Claim scene `idx` the way the worker does (the lowest pending one): scenes move only
    pending -> processing -> completed | failed (backend/jobs/lifecycle.py)."""
    assert store.claim_next_scene(job_id)["idx"] == idx


def failed(store: JobStore, job_id: str, idx: int) -> None:
    claimed(store, job_id, idx)
    store.fail_scene(job_id, idx, "synthesis_failed", "The engine stopped.")


def spoken(store: JobStore, job_id: str, idx: int, image: str | None = "completed") -> None:
    claimed(store, job_id, idx)
    store.complete_scene(job_id, idx, f"/tmp/{idx}.wav", 1.0, 0.1)
    if image is not None:
        store.set_scene_image(job_id, idx, image)


def page(client, job_id: str, **params) -> dict:
    response = client.get(f"/jobs/{job_id}/scenes", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_page_holds_the_scenes_after_the_cursor_and_says_where_the_next_starts(client):
    job_id = seeded(client)

    first = page(client, job_id, after=0, limit=100)
    middle = page(client, job_id, after=first["next_after"], limit=100)
    last = page(client, job_id, after=middle["next_after"], limit=100)

    assert [s["idx"] for s in first["scenes"]] == list(range(1, 101))
    assert first["next_after"] == 100 and middle["next_after"] == 200
    assert [s["idx"] for s in last["scenes"]] == list(range(201, SCENES + 1))
    assert last["next_after"] is None
    assert {first["total"], middle["total"], last["total"]} == {SCENES}


def test_walking_every_page_gives_exactly_the_scenes_of_get_job(client):
    job_id = seeded(client)
    store = store_of(client)
    for idx in range(1, 40):
        spoken(store, job_id, idx)
    failed(store, job_id, 40)

    walked, after = [], 0
    while after is not None:
        body = page(client, job_id, after=after, limit=37)
        walked += body["scenes"]
        after = body["next_after"]

    assert walked == client.get(f"/jobs/{job_id}").json()["scenes"]


def test_the_defaults_are_the_first_hundred_scenes(client):
    job_id = seeded(client)

    body = page(client, job_id)

    assert [s["idx"] for s in body["scenes"]] == list(range(1, 101))
    assert body["next_after"] == 100


def test_the_page_carries_the_job_with_its_progress_but_not_its_scenes(client):
    job_id = seeded(client, scenes=3)
    spoken(store_of(client), job_id, 1)

    job = page(client, job_id, after=2)["job"]

    whole = client.get(f"/jobs/{job_id}").json()
    assert "scenes" not in job
    assert job == {key: value for key, value in whole.items() if key != "scenes"}
    assert job["progress"] == {
        "total": 3,
        "pending": 2,
        "processing": 0,
        "completed": 1,
        "failed": 0,
        "retaken": 0,
        "voice_converted": 0,
    }


def test_a_cursor_past_the_last_scene_gives_an_empty_last_page(client):
    job_id = seeded(client, scenes=5)

    body = page(client, job_id, after=5)

    assert body["scenes"] == [] and body["next_after"] is None and body["total"] == 5


def test_a_job_without_scenes_has_nothing_unsettled(client):
    job_id = seeded(client, scenes=0)

    body = page(client, job_id)

    assert body["scenes"] == [] and body["total"] == 0
    assert body["next_after"] is None and body["unsettled_from"] is None


def test_unsettled_from_is_the_first_scene_whose_audio_or_image_can_still_change(client):
    job_id = seeded(client, scenes=10)
    store = store_of(client)
    assert page(client, job_id)["unsettled_from"] == 1
    for idx in (1, 2, 3):
        spoken(store, job_id, idx)
    spoken(store, job_id, 4, image=None)  # spoken; its page image is still being drawn
    spoken(store, job_id, 5, image="failed")

    assert page(client, job_id)["unsettled_from"] == 4
    store.set_scene_image(job_id, 4, "failed")
    assert page(client, job_id)["unsettled_from"] == 6


def test_a_failed_scene_is_settled_until_a_retry_makes_it_pending_again(client):
    job_id = seeded(client, scenes=4)
    store = store_of(client)
    spoken(store, job_id, 1)
    failed(store, job_id, 2)
    for idx in (3, 4):
        spoken(store, job_id, idx)
    assert page(client, job_id)["unsettled_from"] is None

    store.retry_job(job_id)

    body = page(client, job_id, after=3)
    assert body["unsettled_from"] == 2  # below the cursor: the reader asks again from there
    assert [s["idx"] for s in body["scenes"]] == [4]


def test_an_unknown_job_is_404_job_not_found(client):
    response = client.get(f"/jobs/{'0' * 32}/scenes")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "job_not_found"
    assert body["message"] and body["solution"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"after": -1},
        {"after": "first"},
        {"after": 2**63},  # beyond SQLite's integers: refused, never a 500
    ],
    ids=["limit 0", "limit 501", "limit not a number", "after -1", "after not a number", "huge"],
)
def test_bad_paging_parameters_are_422_invalid_request_naming_the_parameter(client, params):
    job_id = seeded(client, scenes=2)

    response = client.get(f"/jobs/{job_id}/scenes", params=params)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert next(iter(params)) in body["message"] and body["solution"]


class LoopWatch:
    """Which SQLite statements ran on a thread that runs an event loop (sqlite3's trace
    callback runs in the thread executing the statement)."""

    def __init__(self, store: JobStore):
        self.on_loop: list[str] = []
        self.off_loop: list[str] = []
        self.lock = threading.Lock()
        store._conn.set_trace_callback(self.saw)  # the store's one connection: every statement

    def saw(self, statement: str) -> None:
        try:
            asyncio.get_running_loop()
            seen = self.on_loop
        except RuntimeError:
            seen = self.off_loop
        with self.lock:
            seen.append(statement)


def test_the_watch_sees_a_store_call_made_on_the_event_loop(client):
    job_id = seeded(client, scenes=2)
    store = store_of(client)
    watch = LoopWatch(store)

    async def on_the_loop() -> None:
        store.list_scenes(job_id)

    asyncio.run(on_the_loop())
    store._conn.set_trace_callback(None)

    assert any("FROM scenes" in statement for statement in watch.on_loop)


def test_the_scenes_route_runs_no_sqlite_on_the_event_loop(client):
    job_id = seeded(client)
    watch = LoopWatch(store_of(client))

    page(client, job_id, after=50, limit=100)
    client.get(f"/jobs/{'0' * 32}/scenes")  # the 404 reads the store too
    store_of(client)._conn.set_trace_callback(None)

    assert any("FROM scenes" in statement for statement in watch.off_loop)
    assert watch.on_loop == []

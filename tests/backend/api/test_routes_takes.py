"""A scene's takes over HTTP (backend/api/routes_takes.py): edit, regenerate, list, play, choose,
with the FakeEngine behind the real app and SQLite in tmp_path."""

from __future__ import annotations

import io
import time
from pathlib import Path

import soundfile as sf

STORY = "The first scene is short. " + "The second scene goes" + " on" * 90 + "."
WAIT = 30.0  # a bound on every wait for a condition, never an expected duration


def wait_for(predicate, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def finished_job(client, text: str = STORY) -> dict:
    job_id = client.post("/jobs", data={"text": text}).json()["id"]
    return wait_for(
        lambda: (job := client.get(f"/jobs/{job_id}").json())["status"] == "completed" and job
    )


def scene(client, job_id: str, idx: int) -> dict:
    return client.get(f"/jobs/{job_id}").json()["scenes"][idx - 1]


def retaken(client, job: dict, text: str = "Short.") -> dict:
    """Re-take scene 1 with a shorter text; the job once its narration has been re-assembled
    with it (scene 2 then starts earlier)."""
    start = job["scenes"][1]["start_seconds"]
    client.post(f"/jobs/{job['id']}/scenes/1/takes", json={"text": text})
    return wait_for(
        lambda: (
            (now := client.get(f"/jobs/{job['id']}").json())["scenes"][1]["start_seconds"] < start
            and now
        )
    )


def test_an_edit_is_stored_at_once_and_marks_the_scene_stale(client) -> None:
    job = finished_job(client)

    response = client.patch(
        f"/jobs/{job['id']}/scenes/1", json={"text": "A new first line.", "params": {"seed": 7}}
    )

    assert response.status_code == 200
    edited = response.json()
    assert (edited["text"], edited["params"], edited["stale"]) == (
        "A new first line.",
        {"seed": 7},
        True,
    )
    assert (edited["take"], edited["takes"], edited["pending_takes"]) == (1, 1, 0)
    assert scene(client, job["id"], 1)["text"] == "A new first line."


def test_a_regenerated_scene_gets_a_new_chosen_take_and_the_narration_follows(client) -> None:
    job = finished_job(client)
    before = sf.info(job["final_audio_path"]).duration

    client.patch(f"/jobs/{job['id']}/scenes/1", json={"text": "Short."})
    queued = client.post(f"/jobs/{job['id']}/scenes/1/takes")

    assert queued.status_code == 202 and queued.json()["request"] >= 1
    made = wait_for(lambda: (s := scene(client, job["id"], 1))["take"] == 2 and s)
    assert (made["stale"], made["pending_takes"], made["takes"]) == (False, 0, 2)
    after = wait_for(
        lambda: (
            (now := client.get(f"/jobs/{job['id']}").json())["scenes"][1]["start_seconds"]
            < job["scenes"][1]["start_seconds"]
            and now
        )
    )
    assert sf.info(after["final_audio_path"]).duration < before  # re-assembled, shorter
    takes = client.get(f"/jobs/{job['id']}/scenes/1/takes").json()
    assert takes["chosen"] == 2 and takes["pending"] == 0
    assert [(t["number"], t["reason"], t["chosen"]) for t in takes["takes"]] == [
        (1, "first", False),
        (2, "regenerate", True),
    ]
    assert takes["takes"][1]["text"] == "Short."


def test_choosing_an_older_take_reassembles_the_narration_and_its_scene_starts(client) -> None:
    job = finished_job(client)
    shorter = retaken(client, job)

    chosen = client.put(f"/jobs/{job['id']}/scenes/1/take", json={"take": 1})

    assert chosen.status_code == 200
    assert (chosen.json()["take"], chosen.json()["stale"]) == (1, True)  # not the text now
    again = client.get(f"/jobs/{job['id']}").json()
    assert again["scenes"][1]["start_seconds"] > shorter["scenes"][1]["start_seconds"]
    assert again["scenes"][1]["start_seconds"] == job["scenes"][1]["start_seconds"]
    assert sf.info(again["final_audio_path"]).duration == sf.info(job["final_audio_path"]).duration


def test_a_re_encoded_download_follows_the_chosen_take(client) -> None:
    job = finished_job(client)
    first = client.get(f"/jobs/{job['id']}/audio", params={"format": "mp3"}).content
    retaken(client, job)

    second = client.get(f"/jobs/{job['id']}/audio", params={"format": "mp3"}).content

    assert sf.info(io.BytesIO(second)).duration < sf.info(io.BytesIO(first)).duration


def test_every_take_is_playable_and_an_unknown_take_is_a_404_with_a_solution(client) -> None:
    job = finished_job(client)

    audio = client.get(f"/jobs/{job['id']}/scenes/1/takes/1/audio")
    missing = client.get(f"/jobs/{job['id']}/scenes/1/takes/9/audio")
    choose = client.put(f"/jobs/{job['id']}/scenes/1/take", json={"take": 9})

    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert sf.info(io.BytesIO(audio.content)).duration > 0
    for response in (missing, choose):
        assert response.status_code == 404
        assert response.json()["error"] == "take_not_found" and response.json()["solution"]


def test_only_max_takes_kept_survive_and_the_oldest_unchosen_goes_first_with_its_file(
    make_client,
) -> None:
    client = make_client(max_takes_kept=2)
    job = finished_job(client)
    first = client.get(f"/jobs/{job['id']}/scenes/1/takes").json()
    first_file = Path(scene(client, job["id"], 1)["audio_path"])
    for number in (2, 3):
        client.post(f"/jobs/{job['id']}/scenes/1/takes")
        wait_for(lambda n=number: scene(client, job["id"], 1)["take"] == n)

    takes = client.get(f"/jobs/{job['id']}/scenes/1/takes").json()

    assert first["takes"][0]["number"] == 1
    assert [t["number"] for t in takes["takes"]] == [2, 3]
    assert not first_file.exists()


def test_regenerate_stale_scenes_queues_exactly_the_stale_ones(client) -> None:
    job = finished_job(client)
    client.patch(f"/jobs/{job['id']}/scenes/2", json={"params": {"rate": 1.5}})

    queued = client.post(f"/jobs/{job['id']}/scenes/stale/takes")

    assert queued.status_code == 202 and queued.json() == {"queued": 1}
    made = wait_for(lambda: (s := scene(client, job["id"], 2))["take"] == 2 and s)
    assert made["stale"] is False
    assert scene(client, job["id"], 1)["takes"] == 1
    assert client.post(f"/jobs/{job['id']}/scenes/stale/takes").json() == {"queued": 0}


def test_a_failed_scene_asked_for_a_take_goes_back_to_pending_and_completes(make_client) -> None:
    fails = {"on": True}
    from backend.core.errors import SynthesisFailed
    from backend.engines.fake import FakeEngine

    engine = FakeEngine(fail_when=lambda text: SynthesisFailed() if fails["on"] else None)
    client = make_client(engine)
    job_id = client.post("/jobs", data={"text": "One scene only."}).json()["id"]
    wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] == "failed")
    fails["on"] = False

    queued = client.post(f"/jobs/{job_id}/scenes/1/takes", json={"text": "One scene, fixed."})

    assert queued.status_code == 202 and queued.json()["request"] is None
    done = wait_for(
        lambda: (job := client.get(f"/jobs/{job_id}").json())["status"] == "completed" and job
    )
    assert done["scenes"][0]["text"] == "One scene, fixed." and done["scenes"][0]["take"] == 1


def test_bad_edits_are_422_with_a_solution(client) -> None:
    job = finished_job(client)
    url = f"/jobs/{job['id']}/scenes/1"

    empty = client.patch(url, json={"text": "   "})
    long = client.patch(url, json={"text": "word " * 200})
    unknown = client.patch(url, json={"params": {"pitch": 2}})
    out_of_range = client.patch(url, json={"params": {"rate": 9}})

    assert [r.status_code for r in (empty, long, unknown, out_of_range)] == [422] * 4
    assert empty.json()["error"] == "text_empty"
    assert long.json()["error"] == "scene_text_too_long"
    assert all(r.json()["solution"] for r in (empty, long, unknown, out_of_range))
    assert scene(client, job["id"], 1)["stale"] is False  # nothing was stored


def test_an_unknown_scene_is_a_404(client) -> None:
    job = finished_job(client)

    for response in (
        client.patch(f"/jobs/{job['id']}/scenes/9", json={"text": "x"}),
        client.post(f"/jobs/{job['id']}/scenes/0/takes"),
        client.get(f"/jobs/{job['id']}/scenes/9/takes"),
    ):
        assert response.status_code == 404 and response.json()["error"] == "scene_not_found"

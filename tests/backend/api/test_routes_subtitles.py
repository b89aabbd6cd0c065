"""GET /jobs/{id}/subtitles: SRT and WebVTT cues of a finished narration, timed in its audio."""

from __future__ import annotations

import io
import itertools

import numpy as np
import soundfile as sf
import srt
import webvtt

from backend.engines.fake import FakeEngine
from tests.backend.api.test_routes_jobs import wait_job
from tests.helpers.api import assert_error

STORY = " ".join(
    f"Scene sentence {i} goes on for a while. It has a short one too!" for i in range(12)
)


def error(code: str) -> dict:
    return {"error": code, "message": "", "solution": ""}


def finished(client) -> dict:
    job = client.post("/jobs", data={"text": STORY}).json()
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    return done


def test_sentence_cues_follow_the_scenes_in_the_assembled_narration_as_srt(client):
    job = finished(client)
    response = client.get(f"/jobs/{job['id']}/subtitles?format=srt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-subrip")
    cues = list(srt.parse(response.text))
    assert " ".join(cue.content for cue in cues) == STORY
    marks = [(scene, mark) for scene in job["scenes"] for mark in scene["marks"]]
    assert len(cues) == len(marks) == 24
    for cue, (scene, mark) in zip(cues, marks, strict=True):
        assert abs(cue.start.total_seconds() - (scene["start_seconds"] + mark["start"])) < 0.002
    starts = [cue.start for cue in cues]
    assert starts == sorted(starts) and all(c.end <= n.start for c, n in itertools.pairwise(cues))


def test_each_scene_starts_in_the_narration_where_its_sound_begins(client):
    job = finished(client)
    wav = client.get(f"/jobs/{job['id']}/audio").content
    samples, rate = sf.read(io.BytesIO(wav), dtype="float32")
    # Pauses between scenes are silence, and a scene is a tone from its first sample.
    silent = np.convolve(np.abs(samples) < 1e-4, np.ones(160), "valid") == 160
    onsets = (np.flatnonzero(silent[:-1] & ~silent[1:]) + 160) / rate
    starts = [scene["start_seconds"] for scene in job["scenes"]]
    assert len(onsets) == len(starts) - 1
    assert starts[0] == 0.0 and np.max(np.abs(np.array(starts[1:]) - onsets)) < 0.02


def test_vtt_is_valid_webvtt_with_the_same_cues(client):
    job = finished(client)
    vtt = client.get(f"/jobs/{job['id']}/subtitles?format=vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    parsed = webvtt.from_buffer(io.StringIO(vtt.text))
    srt_cues = list(srt.parse(client.get(f"/jobs/{job['id']}/subtitles?format=srt").text))
    assert [c.text for c in parsed] == [c.content for c in srt_cues]
    scenes = [scene["idx"] for scene in job["scenes"] for _ in scene["marks"]]
    numbers = [n for scene in job["scenes"] for n, _ in enumerate(scene["marks"])]
    assert [c.identifier for c in parsed] == [
        f"s{s}-{n}" for s, n in zip(scenes, numbers, strict=True)
    ]
    assert [c.start for c in parsed] == [
        srt.timedelta_to_srt_timestamp(c.start).replace(",", ".") for c in srt_cues
    ]


def test_subtitles_are_409_not_ready_until_the_narration_is_assembled(make_client):
    client = make_client(FakeEngine(delay=0.2))
    job = client.post("/jobs", data={"text": STORY}).json()
    assert_error(client.get(f"/jobs/{job['id']}/subtitles"), 409, error("not_ready"))


def test_word_level_without_word_times_says_how_to_get_them(client):
    job = finished(client)
    response = client.get(f"/jobs/{job['id']}/subtitles?level=word")
    assert_error(response, 409, error("times_unavailable"), says=("quality", "level=sentence"))


def test_an_unknown_format_or_level_is_a_422_and_an_unknown_job_a_404(client):
    job = finished(client)
    assert client.get(f"/jobs/{job['id']}/subtitles?format=ass").status_code == 422
    assert client.get(f"/jobs/{job['id']}/subtitles?level=syllable").status_code == 422
    assert_error(client.get("/jobs/nope/subtitles"), 404, error("job_not_found"))


def test_an_engine_that_reports_no_marks_still_gets_every_sentence_timed(make_client):
    client = make_client(FakeEngine(timed=False))  # as Chatterbox: a whole chunk, no marks
    job = finished(client)
    for scene in job["scenes"]:
        marks = scene["marks"]
        assert " ".join(mark["text"] for mark in marks) == scene["text"]
        assert marks[0]["start"] == 0.0 and marks[-1]["end"] <= scene["duration_seconds"]
        assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(marks))
    cues = list(srt.parse(client.get(f"/jobs/{job['id']}/subtitles?format=srt").text))
    assert " ".join(cue.content for cue in cues) == STORY

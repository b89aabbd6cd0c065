"""Tests for backend/api/routes_edusmart.py over the app: the seed's EduSmart commands, sent as
curl sends them (`curl -F file=@test.pdf -F grade_level="Grade 4" -F voice=en-US-JennyNeural
.../api/upload`, a multipart form), followed scene by scene to completed, with the fake engine
and with real Piper speech."""

from __future__ import annotations

import io

import soundfile as sf

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from backend.text.reading_grade import reading_grade
from tests.helpers.api import assert_error, golden_error
from tests.helpers.pdfs import SENTENCES, text_pdf
from tests.helpers.wait import wait_for

CURL_FORM = {"grade_level": "Grade 4", "voice": "en-US-JennyNeural"}
ORDER = ("pending", "processing", "completed")


def upload(client, data: bytes, **form: str):
    """POST /api/upload as `curl -F file=@test.pdf -F name=value ...` sends it."""
    return client.post(
        "/api/upload", files={"file": ("test.pdf", data, "application/pdf")}, data=form
    )


def status(client, story_id: str) -> dict:
    response = client.get(f"/api/story/{story_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


def finished(story: dict) -> bool:
    return story["status"] == "completed" and all(
        scene["image_status"] == "completed" for scene in story["scenes"]
    )


def test_the_curl_upload_starts_a_story_whose_scenes_move_from_pending_to_completed(make_client):
    engine = FakeEngine(max_chars=80, hang_when=lambda text: "Page two begins" in text)  # as spoken
    client = make_client(engine)
    response = upload(client, text_pdf(pages=3), **CURL_FORM)
    assert response.status_code == 202, response.text
    story = response.json()
    story_id = story["story_id"]
    assert story["grade_level"] == "Grade 4" and story["text_rewritten"] is False
    assert "not rewritten" in story["note"] and "no language model" in story["note"]
    assert isinstance(story["reading_grade"], float)
    assert story["voice"] == "en-US-JennyNeural" and story["voice_used"] == "builtin"
    assert "en-US-JennyNeural" in story["voice_note"]
    assert "CHATTERBOX_VOICE_ALIASES" in story["voice_note"]
    assert story["status_url"] == f"/api/story/{story_id}/status"

    assert engine.hanging.wait(10)  # page 2's first scene is being spoken
    now = status(client, story_id)
    audio = [scene["audio_status"] for scene in now["scenes"]]
    first = next(n for n, s in enumerate(now["scenes"]) if "Page 2 begins" in s["text"])
    assert audio[:first] == ["completed"] * first
    assert audio[first] == "processing" and now["scenes"][first]["audio_url"] is None
    assert set(audio[first + 1 :]) == {"pending"}
    assert all(scene["audio_url"] for scene in now["scenes"][:first])
    assert now["audio_url"] is None and now["status"] == "processing"

    seen = {scene["scene_id"]: [scene["audio_status"]] for scene in now["scenes"]}

    def follow() -> dict | None:
        story = status(client, story_id)
        for scene in story["scenes"]:
            steps = seen.setdefault(scene["scene_id"], [])
            if not steps or steps[-1] != scene["audio_status"]:
                steps.append(scene["audio_status"])
        return story if finished(story) else None

    engine.release.set()
    done = wait_for(follow, timeout=30)
    for steps in seen.values():  # each scene only ever moved forward
        assert steps == sorted(steps, key=ORDER.index) and steps[-1] == "completed"
    hung = now["scenes"][first]["scene_id"]  # the next scene is pending until then
    assert seen[hung] == ["processing", "completed"]
    assert seen[hung + 1] == ["pending", "completed"] or seen[hung + 1] == list(ORDER)

    job = client.get(f"/jobs/{story_id}").json()
    texts = [scene["text"] for scene in job["scenes"]]
    assert [scene["text"] for scene in done["scenes"]] == texts  # as the document has it
    assert all(sentence in " ".join(texts) for sentence in SENTENCES)
    assert done["reading_grade_basis"] == "whole text"
    assert done["reading_grade"] == reading_grade(" ".join(texts)) == job["reading_grade"]
    assert job["grade_level"] == "Grade 4"
    assert done["progress"]["completed"] == done["progress"]["total"] == len(texts)

    scene = done["scenes"][0]
    wav = client.get(scene["audio_url"])
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
    png = client.get(scene["image_url"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(done["audio_url"]).status_code == 200


def test_a_story_is_narrated_by_real_piper_speech(make_client):
    client = make_client(PiperEngine(Settings(_env_file=None)))
    response = upload(client, text_pdf(pages=1, chapters=False), **CURL_FORM)
    assert response.status_code == 202, response.text
    story_id = response.json()["story_id"]
    done = wait_for(lambda: finished(story := status(client, story_id)) and story, timeout=120)
    assert [scene["audio_status"] for scene in done["scenes"]] == ["completed"] * len(
        done["scenes"]
    )
    narration = client.get(done["audio_url"])
    assert narration.status_code == 200
    info = sf.info(io.BytesIO(narration.content))
    assert info.duration > 5.0  # four sentences of speech
    assert done["voice_used"] == "builtin" and done["grade_level"] == "Grade 4"


def test_an_upload_without_a_voice_or_grade_is_a_story_in_the_default_voice(client):
    story = upload(client, text_pdf(pages=1)).json()
    assert story["voice"] is None and story["voice_note"] is None
    assert story["voice_used"] == "builtin" and story["grade_level"] is None


def test_upload_errors_are_those_of_post_jobs(client):
    for data in (b"hello world", text_pdf(password="secret")):
        ours = upload(client, data, **CURL_FORM)
        theirs = client.post("/jobs", files={"file": ("test.pdf", data, "application/pdf")})
        assert ours.status_code == theirs.status_code != 202
        assert ours.json() == theirs.json()
    voice = upload(client, text_pdf(pages=1), voice="nobody")
    assert voice.status_code == 400 and voice.json()["error"] == "voice_not_found"
    missing = client.post("/api/upload", data=CURL_FORM)
    assert missing.status_code == 422 and missing.json()["error"] == "invalid_request"
    long_grade = upload(client, text_pdf(pages=1), grade_level="G" * 51)
    assert long_grade.status_code == 422 and long_grade.json()["error"] == "invalid_request"
    assert client.get("/jobs").json()["jobs"] == []  # nothing half-made was kept
    wording = golden_error("JobNotFound")
    body = {"error": wording["code"], "message": "", "solution": ""}
    assert_error(client.get("/api/story/nope/status"), 404, body)

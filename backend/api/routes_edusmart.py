"""The EduSmart story API, verbatim (/api/upload, /api/story/{story_id}/status): the seed's
progressive-story commands, served as a thin layer over narration jobs.

`curl -F file=@test.pdf -F grade_level="Grade 4" -F voice=en-US-JennyNeural .../api/upload`
starts a job exactly as POST /jobs does (same limits, same errors) and answers its id as
`story_id`. The grade level is recorded beside the reading grade measured on the source text;
the text is not rewritten for it, since no language model is part of this product. An Edge TTS
voice name such as en-US-JennyNeural is no voice of this server: CHATTERBOX_VOICE_ALIASES maps it
(by default to the built-in voice), and the answer says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from backend.api.deps import JobStoreDep, RunnerDep, SettingsDep, VoiceStoreDep
from backend.api.routes_jobs import create_job
from backend.api.schemas_edusmart import StoryCreated, StoryStatus
from backend.jobs.store import JobStore
from backend.text.reading_grade import reading_grade

router = APIRouter(prefix="/api", tags=["edusmart"])
NOTE = (
    "grade_level is recorded and shown beside the reading grade measured on the source text "
    "(Flesch-Kincaid); the text is not rewritten for the grade level: no language model is "
    "part of this product, so every scene is spoken as the document has it."
)


@router.post("/upload", status_code=202, response_model=StoryCreated)
async def upload_story(
    runner: RunnerDep,
    voices: VoiceStoreDep,
    settings: SettingsDep,
    file: UploadFile = File(description="The document to narrate (a PDF, or any POST /jobs takes)"),
    grade_level: str | None = Form(None, max_length=50, description='e.g. "Grade 4"'),
    voice: str | None = Form(None, max_length=200, description="A voice, or an alias of one"),
) -> dict[str, Any]:
    """Start a story: POST /jobs with this file and voice; 202 once the first page has given
    scenes. The grade level is recorded; the text is not rewritten."""
    job = await create_job(
        runner,
        voices,
        settings,
        file=file,
        text=None,
        title=None,
        voice=voice,
        pages=None,
        password=None,
        rate=1.0,
        exaggeration=0.5,
        cfg_weight=0.5,
        temperature=0.8,
        seed=None,
        model=None,
        language=None,
        mastering=None,
    )
    await run_in_threadpool(runner.store.set_grade, job["id"], grade_level, None)
    story = await run_in_threadpool(_story, runner.store, job["id"])
    target = settings.voice_aliases.get(voice or "")
    voice_note = None
    if target is not None:
        voice_note = (
            f"{voice!r} is not a voice of this server; CHATTERBOX_VOICE_ALIASES maps it to "
            f"{target!r}, which speaks this story."
        )
    return {
        **_grade_fields(story),
        "voice": voice,
        "voice_used": story["voice"],
        "voice_note": voice_note,
        "status_url": f"/api/story/{job['id']}/status",
    }


@router.get("/story/{story_id}/status", response_model=StoryStatus)
def story_status(story_id: str, store: JobStoreDep) -> dict[str, Any]:
    """The story with its scenes in order: each scene's audio and image move pending ->
    processing -> completed (or failed), with their URLs once made."""
    story = _story(store, story_id)
    base = f"/jobs/{story_id}"
    done = story["status"] == "completed" and story["final_audio_path"]
    return {
        **_grade_fields(story),
        "voice_used": story["voice"],
        "progress": story["progress"],
        "audio_url": f"{base}/audio" if done else None,
        "error_message": story["error_message"],
        "error_solution": story["error_solution"],
        "scenes": [
            {
                "scene_id": scene["idx"],
                "text": scene["text"],
                "page": scene["page"],
                "audio_status": scene["audio_status"],
                "image_status": scene["image_status"],
                "audio_url": _url(scene, "audio", f"{base}/scenes/{scene['idx']}/audio"),
                "image_url": _url(scene, "image", f"{base}/scenes/{scene['idx']}/image"),
            }
            for scene in story["scenes"]
        ],
    }


def _story(store: JobStore, story_id: str) -> dict[str, Any]:
    """The job with its reading grade: measured on every scene read so far, and recorded once
    the document has been read to its end (from then on it is not measured again)."""
    job = store.get_job(story_id)
    job["reading_grade_basis"] = "whole text"
    if job["reading_grade"] is None:
        job["reading_grade"] = reading_grade(" ".join(scene["text"] for scene in job["scenes"]))
        if job["extraction_status"] in ("completed", "failed"):
            store.set_grade(story_id, job["grade_level"], job["reading_grade"])
        else:
            job["reading_grade_basis"] = "pages read so far"
    return job


def _grade_fields(story: dict[str, Any]) -> dict[str, Any]:
    return {
        "story_id": story["id"],
        "status": story["status"],
        "title": story["title"],
        "grade_level": story["grade_level"],
        "reading_grade": story["reading_grade"],
        "reading_grade_basis": story["reading_grade_basis"],
        "text_rewritten": False,
        "note": NOTE,
    }


def _url(scene: dict[str, Any], step: str, url: str) -> str | None:
    return url if scene[f"{step}_status"] == "completed" and scene[f"{step}_path"] else None

"""Narration jobs as the server stores them, in memory: records, scenes, progress, PDF reading.

FakeApi keeps its jobs here; the JSON shapes are the server's (GET /jobs/{id}).
"""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.core.errors import AppError
from backend.jobs import cues
from frontend.api_client import ApiError
from tests.frontend import fake_pdf, fake_take_store, server_errors

START = datetime(2026, 11, 21, 7, 11, 53, tzinfo=UTC)
SCENE_SECONDS = 3.0  # wall time of each finished scene, for the time-left estimate
# A job keeps every synthesis setting, the defaults of those not sent included (and its model).
PARAMS = {
    "rate": 1.0,
    "exaggeration": 0.5,
    "cfg_weight": 0.5,
    "temperature": 0.8,
    "seed": None,
    "mastering": "standard",  # the server's default (CHATTERBOX_MASTERING)
}
PAUSE_SECONDS = 0.75  # between scenes in the assembled narration
_created = itertools.count()  # each new job a minute after the last: GET /jobs is newest first


def stamp(offset_seconds: float = 0.0) -> str:
    return (START + timedelta(seconds=offset_seconds)).isoformat()


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if part]


def new_job(
    *,
    title: str,
    source_kind: str,
    voice: str,
    params: dict[str, Any],
    pages: str | None,
    texts: list[tuple[int | None, str]],
    total_pages: int | None = None,
) -> dict[str, Any]:
    """A pending job whose scenes (page, text) all wait their turn."""
    job_id = uuid.uuid4().hex
    created = stamp(60.0 * next(_created))
    job = {
        "id": job_id,
        "title": title,
        "source_kind": source_kind,
        "source_path": None,
        "voice": voice,
        "params": params,
        "pages": pages,
        "status": "pending",
        "extraction_status": "completed",
        "total_pages": total_pages,
        "error_code": None,
        "error_message": None,
        "error_solution": None,
        "chapters": [],
        "created_at": created,
        "updated_at": created,
        "started_at": None,
        "finished_at": None,
        "final_audio_path": None,
        "engine": "fake",  # what the scenes were split for (backend/jobs/lifecycle.py)
        "model": None,
        "sample_rate": 24000,
        "max_chars": 300,
        "source_format": None,
        "author": None,
        "cover_path": None,
        "priority": 0,  # the queue: higher first, then oldest (fake_queue.py numbers them)
        "paused": False,
        "queue_position": None,
        "grade_level": None,  # EduSmart's, as asked for; and the source text's measured one
        "reading_grade": None,
        "scenes": [],
    }
    for idx, (page, text) in enumerate(texts, start=1):
        job["scenes"].append(_scene(job_id, idx, page, text))
    return job


def _scene(job_id: str, idx: int, page: int | None, text: str) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "idx": idx,
        "text": text,
        "chapter": None,
        "page": page,
        "bbox": None,
        "text_status": "completed",
        "audio_status": "pending",
        "image_status": "pending",
        "audio_path": None,
        "image_path": None,
        "duration_seconds": None,
        "engine_seconds": None,
        "attempts": 0,
        "error_code": None,
        "error_message": None,
        "started_at": None,
        "finished_at": None,
        "quality": None,
        "speaker_similarity": None,
        "image_error": None,
        "marks": None,
        "start_seconds": None,
        "spoken_text": None,  # the text as spoken (normalised, the lexicon applied)
        "stale": False,
        "params": None,  # its own settings over the job's (None: none of its own)
        "take": None,
        "takes": 0,
        "pending_takes": 0,
        "check_status": None,
    }


def finish(job: dict[str, Any]) -> None:
    """Every scene not yet spoken spoken now, and the job settled."""
    for scene in job["scenes"]:
        if scene["audio_status"] != "completed":
            complete_scene(job, scene["idx"])
    settle(job)


def append_scene(job: dict[str, Any], text: str, page: int | None = None) -> int:
    """A scene the document gave since (extraction reads on): pending, after the last."""
    idx = len(job["scenes"]) + 1
    job["scenes"].append(_scene(job["id"], idx, page, text))
    return idx


def public(job: dict[str, Any], scenes: bool = True) -> dict[str, Any]:
    """The job as GET /jobs/{id} answers it (with scenes) or GET /jobs lists it (without)."""
    body = copy.deepcopy({key: value for key, value in job.items() if key[0] != "_"})
    body["progress"] = progress(job)
    if not scenes:
        del body["scenes"]
    return body


def page(job: dict[str, Any], after: int, limit: int) -> dict[str, Any]:
    """GET /jobs/{id}/scenes: the scenes after `after`, the job without them, where to go on."""
    if not 1 <= limit <= 500 or not 0 <= after <= 2**31 - 1:
        field = "limit" if not 1 <= limit <= 500 else "after"
        raise server_errors.invalid_request(
            f"The request is not valid: query.{field}: out of range."
        )
    later = [scene for scene in job["scenes"] if scene["idx"] > after]
    scenes = copy.deepcopy(later[:limit])
    unsettled = [scene["idx"] for scene in job["scenes"] if not _settled(scene)]
    return {
        "job": public(job, scenes=False),
        "scenes": scenes,
        "next_after": scenes[-1]["idx"] if len(later) > limit else None,
        "total": len(job["scenes"]),
        "unsettled_from": min(unsettled, default=None),
    }


def _settled(scene: dict[str, Any]) -> bool:
    """The server's rule (JobStore.list_scenes): failed, or spoken with its image done, and no
    take queued or check running that may still change it."""
    if scene["pending_takes"] or scene["check_status"] in ("checking", "retaking"):
        return False
    if scene["audio_status"] == "failed":
        return True
    return scene["audio_status"] == "completed" and scene["image_status"] in ("completed", "failed")


def progress(job: dict[str, Any]) -> dict[str, int]:
    counts = {"total": len(job["scenes"]), "pending": 0, "processing": 0, "completed": 0}
    counts["failed"] = 0
    for scene in job["scenes"]:
        counts[scene["audio_status"]] += 1
    return counts


def scene_of(job: dict[str, Any], idx: int) -> dict[str, Any]:
    for scene in job["scenes"]:
        if scene["idx"] == idx:
            return scene
    raise server_errors.scene_not_found()


def start_scene(job: dict[str, Any], idx: int) -> None:
    scene = scene_of(job, idx)
    scene.update(audio_status="processing", started_at=stamp(idx * SCENE_SECONDS))
    scene["attempts"] += 1
    job.update(status="processing", started_at=job["started_at"] or stamp())


def complete_scene(job: dict[str, Any], idx: int, duration: float = 2.9) -> None:
    scene = scene_of(job, idx)
    scene.update(
        audio_status="completed",
        audio_path=f"jobs/{job['id']}/scenes/{idx:04d}.wav",
        duration_seconds=duration,
        engine_seconds=0.1,
        attempts=max(1, scene["attempts"]),
        started_at=stamp(idx * SCENE_SECONDS),
        finished_at=stamp((idx + 1) * SCENE_SECONDS),
        marks=_marks(scene["text"], duration),
    )
    scene["pending_takes"] = 0
    first = fake_take_store.record(job, scene, "first", scene["text"], None)
    first["duration_seconds"] = duration
    fake_take_store.choose(scene, first)
    if job["source_kind"] == "pdf" and job.get("source_format", "pdf") in (None, "pdf"):
        scene.update(image_status="completed", image_path=f"jobs/{job['id']}/pages/{idx:04d}.png")
    else:  # the server settles a text scene's image step too, with no image
        scene.update(image_status="completed")
    if job["status"] == "pending":
        job.update(status="processing", started_at=stamp())


def fail_scene(job: dict[str, Any], idx: int, message: str) -> None:
    scene = scene_of(job, idx)
    scene.update(
        audio_status="failed",
        error_code="synthesis_failed",
        error_message=message,
        attempts=max(1, scene["attempts"]),
        finished_at=stamp((idx + 1) * SCENE_SECONDS),
    )


def cancel(job: dict[str, Any]) -> None:
    """pending/processing -> cancelled; a running scene stays 'processing', as on the server."""
    if job["status"] in ("pending", "processing"):
        job["status"] = "cancelled"


def retry(job: dict[str, Any]) -> int:
    """Failed scenes -> pending; a failed or cancelled job -> pending. Returns the scenes requeued."""
    if job["status"] == "completed":
        return 0
    failed = [scene for scene in job["scenes"] if scene["audio_status"] == "failed"]
    for scene in failed:
        scene.update(audio_status="pending", error_code=None, error_message=None)
        scene.update(started_at=None, finished_at=None)
    if job["status"] in ("failed", "cancelled"):
        job.update(status="pending", error_code=None, error_message=None)
    return len(failed)


def settle(job: dict[str, Any]) -> None:
    """What the worker does when nothing is left to narrate: completed, or failed with a reason."""
    counts = progress(job)
    if job["status"] == "cancelled" or counts["pending"] or counts["processing"]:
        return
    end = stamp((counts["total"] + 1) * SCENE_SECONDS)
    if counts["failed"]:
        message = f"{counts['failed']} of {counts['total']} scenes failed."
        job.update(status="failed", error_code="scenes_failed", error_message=message)
    else:
        job.update(status="completed", final_audio_path=f"jobs/{job['id']}/narration.wav")
        at = 0.0  # the assembly's scene starts: one after another, a pause between
        for scene in job["scenes"]:
            scene["start_seconds"] = round(at, 3)
            at += scene["duration_seconds"] + PAUSE_SECONDS
    job.update(finished_at=end, updated_at=end)


def _marks(text: str, duration: float) -> list[dict[str, Any]]:
    """A spoken scene's sentence times, as the server stores them: each sentence its share of
    the scene's audio by its characters."""
    parts = sentences(text)
    total, done, marks = sum(len(part) for part in parts) or 1, 0, []
    for part in parts:
        start = round(duration * done / total, 3)
        done += len(part)
        marks.append({"start": start, "end": round(duration * done / total, 3), "text": part})
    return marks


def text_job(text: str, title: str | None, voice: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /jobs with a text: one scene a sentence."""
    if not text.strip():
        raise server_errors.text_empty()
    texts: list[tuple[int | None, str]] = [(None, sentence) for sentence in sentences(text)]
    title = title or " ".join(text.split()[:8])[:80]
    return new_job(
        title=title, source_kind="text", voice=voice, params=params, pages=None, texts=texts
    )


def pdf_job(
    name: str,
    data: bytes,
    pages: str | None,
    password: str | None,
    title: str | None,
    voice: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    """POST /jobs with a PDF: the selected pages' sentences, each scene knowing its page."""
    opened, book = fake_pdf.open_document(name, data, password)
    with opened as doc:
        selection = fake_pdf.page_range(pages, doc.page_count)
        texts: list[tuple[int | None, str]] = [
            (number, sentence)
            for number, page_text in fake_pdf.page_texts(doc, selection)
            for sentence in sentences(page_text)
        ]
        count = doc.page_count
    title = title or book["title"] or name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    job = new_job(
        title=title,
        source_kind="pdf",
        voice=voice,
        params=params,
        pages=pages,
        texts=texts,
        total_pages=count,
    )
    job.update(source_format=book["source_format"], author=book["author"])
    return job


def seeded_job(
    title: str,
    scenes: int,
    completed: int,
    processing: int,
    source_kind: str,
    source_format: str | None = None,
):
    """A job some way through: the first `completed` scenes done, the next `processing` running.
    A document job of a reflowable `source_format` (epub, docx, ...) has its scenes in chapters
    ("Chapter 1" for scenes 1-2, ...) and, as on the server, no page images."""
    pdf = source_kind == "pdf"
    texts = [
        (n if pdf else None, f"Scene {n} reads this sentence aloud.") for n in range(1, scenes + 1)
    ]
    job = new_job(
        title=title,
        source_kind=source_kind,
        voice="builtin",
        params={},
        pages=None,
        texts=texts,
        total_pages=scenes if pdf else None,
    )
    job["source_format"] = (source_format or "pdf") if pdf else None
    if pdf and job["source_format"] != "pdf":
        for scene in job["scenes"]:
            scene["chapter"] = f"Chapter {(scene['idx'] + 1) // 2}"
    for idx in range(1, completed + 1):
        complete_scene(job, idx)
    for idx in range(completed + 1, completed + processing + 1):
        start_scene(job, idx)
    settle(job)
    return job


def subtitles(job: dict[str, Any], fmt: str, level: str) -> bytes:
    """GET /jobs/{id}/subtitles: the server's own cue writer (backend.jobs.cues) over the fake
    job's marks and starts, so the fake's subtitles are the server's, errors included."""
    try:
        found = cues.cues(job | {"progress": progress(job)}, level)  # type: ignore[arg-type]
    except AppError as error:
        raise ApiError(error.code, error.message, error.solution, error.status_code) from None
    return (cues.to_srt(found) if fmt == "srt" else cues.to_vtt(found)).encode()

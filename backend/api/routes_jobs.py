"""Narration jobs (/jobs): a PDF or a long text becomes scenes spoken one by one.

POST /jobs answers 202 as soon as the first page is read, so the first scene plays while the rest
are still being made.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import get_settings, get_store
from backend.core.errors import (
    InvalidRequest,
    NotReady,
    PdfUnreadable,
    SceneNotFound,
    TextEmpty,
    TextTooLong,
)
from backend.core.settings import Settings
from backend.jobs.assembly import to_mp3
from backend.jobs.pdf import decrypted, open_info, parse_page_range
from backend.jobs.store import JobStore
from backend.jobs.worker import JobRunner
from backend.voices.resolve import BUILTIN, resolve_voice
from backend.voices.store import VoiceStore

router = APIRouter(prefix="/jobs", tags=["jobs"])


def get_runner(request: Request) -> JobRunner:
    return request.app.state.jobs


def get_job_store(request: Request) -> JobStore:
    return request.app.state.jobs.store


@router.post("", status_code=202)
async def create_job(
    file: UploadFile | None = File(None, description="A PDF to narrate"),
    text: str | None = Form(None, description="Or a text to narrate"),
    title: str | None = Form(None, max_length=200),
    voice: str | None = Form(None),
    pages: str | None = Form(None, max_length=200, description='e.g. "1-10,12"'),
    password: str | None = Form(None, max_length=200),
    rate: float = Form(1.0, ge=0.25, le=4.0),
    exaggeration: float = Form(0.5, ge=0.0, le=2.0),
    cfg_weight: float = Form(0.5, ge=0.0, le=1.0),
    temperature: float = Form(0.8, ge=0.05, le=5.0),
    seed: int | None = Form(None, ge=0, le=2**32 - 1),
    runner: JobRunner = Depends(get_runner),
    voices: VoiceStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    if (file is None) == (text is None):
        raise InvalidRequest("Send exactly one of 'file' (a PDF) or 'text'.")
    caps = runner.manager.engine.capabilities
    ref = resolve_voice(voice, voices, caps, settings.voice_aliases)
    params = {
        "rate": rate,
        "exaggeration": exaggeration,
        "cfg_weight": cfg_weight,
        "temperature": temperature,
        "seed": seed,
    }
    store = runner.store
    if text is not None:
        if not text.strip():
            raise TextEmpty()
        if len(text) > settings.max_job_chars:
            raise TextTooLong(
                f"The text has {len(text)} characters; a job takes at most "
                f"{settings.max_job_chars}."
            )
        job = store.create_job(
            title or _title_of(text), "text", None, ref.voice_id if ref else BUILTIN, params, None
        )
        await run_in_threadpool(runner.submit_text, job["id"], text)
        return store.get_job(job["id"])

    data = await file.read()
    if b"%PDF" not in data[:1024]:
        raise PdfUnreadable(f"'{file.filename}' is not a PDF file.")
    info = await run_in_threadpool(open_info, data, password)
    parse_page_range(pages, info["page_count"])  # a bad range is a 422 now, not a failed job
    if info["encrypted"]:  # keep an unlocked copy rather than the password
        data = await run_in_threadpool(decrypted, data, password or "")
    name = (file.filename or "document.pdf").rsplit("/", 1)[-1]
    job = store.create_job(
        title or name.removesuffix(".pdf"),
        "pdf",
        None,
        ref.voice_id if ref else BUILTIN,
        params,
        pages,
    )
    job_id = job["id"]
    source = runner.job_dir(job_id) / "source.pdf"
    await run_in_threadpool(_save, source, data)
    store.set_source_path(job_id, str(source))
    runner.submit_pdf(job_id)
    return await _first_page(job_id, runner, settings.first_page_timeout_seconds)


async def _first_page(job_id: str, runner: JobRunner, timeout: float) -> dict[str, Any]:
    """Wait until the first page has given scenes (or extraction ended); errors come back now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runner.store.get_job(job_id)
        if job["scenes"] or job["extraction_status"] == "completed":
            return job
        if job["extraction_status"] == "failed":
            error = runner.extraction_error(job_id)
            await run_in_threadpool(runner.delete, job_id)  # nothing to narrate: nothing kept
            if error is not None:
                raise error
            raise PdfUnreadable(job.get("error_message") or None)
        await asyncio.sleep(0.05)
    return runner.store.get_job(job_id)


@router.get("")
async def list_jobs(store: JobStore = Depends(get_job_store)) -> dict[str, Any]:
    return {"jobs": store.list_jobs()}


@router.get("/{job_id}")
async def get_job(job_id: str, store: JobStore = Depends(get_job_store)) -> dict[str, Any]:
    return store.get_job(job_id)


@router.get("/{job_id}/scenes/{index}/audio", response_class=FileResponse)
async def scene_audio(job_id: str, index: int, store: JobStore = Depends(get_job_store)):
    scene = _scene(store, job_id, index)
    if scene["audio_status"] != "completed" or not scene["audio_path"]:
        raise NotReady(f"Scene {index} is {scene['audio_status']}.")
    return FileResponse(
        scene["audio_path"], media_type="audio/wav", filename=f"scene-{index:04d}.wav"
    )


@router.get("/{job_id}/scenes/{index}/image", response_class=FileResponse)
async def scene_image(job_id: str, index: int, store: JobStore = Depends(get_job_store)):
    scene = _scene(store, job_id, index)
    if scene["image_status"] != "completed" or not scene["image_path"]:
        raise NotReady(
            f"The image of scene {index} is {scene['image_status']}.",
            "Plain-text jobs have no page images; PDF scenes get one once spoken.",
        )
    return FileResponse(scene["image_path"], media_type="image/png")


@router.get("/{job_id}/audio", response_class=FileResponse)
async def job_audio(
    job_id: str,
    format: str = Query("wav", pattern="^(wav|mp3)$"),
    store: JobStore = Depends(get_job_store),
):
    job = store.get_job(job_id)
    if job["status"] != "completed" or not job["final_audio_path"]:
        progress = job["progress"]
        raise NotReady(
            f"The narration is {job['status']}: {progress['completed']} of {progress['total']} "
            "scenes are done."
        )
    path = Path(job["final_audio_path"])
    if format == "mp3":
        path = await run_in_threadpool(to_mp3, path, path.with_suffix(".mp3"))
    return FileResponse(
        path,
        media_type="audio/mpeg" if format == "mp3" else "audio/wav",
        filename=f"{_safe(job['title'])}.{format}",
    )


@router.post("/{job_id}/cancel")
async def cancel_job(job_id: str, runner: JobRunner = Depends(get_runner)) -> dict[str, Any]:
    await run_in_threadpool(runner.cancel, job_id)
    return runner.store.get_job(job_id)


@router.post("/{job_id}/retry")
async def retry_job(job_id: str, runner: JobRunner = Depends(get_runner)) -> dict[str, Any]:
    requeued = await run_in_threadpool(runner.retry, job_id)
    return {"requeued": requeued, "job": runner.store.get_job(job_id)}


@router.delete("/{job_id}")
async def delete_job(job_id: str, runner: JobRunner = Depends(get_runner)) -> dict[str, Any]:
    runner.store.get_job(job_id)  # 404 before anything is touched
    await run_in_threadpool(runner.delete, job_id)
    return {"deleted": job_id}


def _scene(store: JobStore, job_id: str, index: int) -> dict[str, Any]:
    store.get_job(job_id)
    if index < 1:
        raise SceneNotFound()
    return store.get_scene(job_id, index)


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _title_of(text: str) -> str:
    first = " ".join(text.split())[:60]
    return first or "Narration"


def _safe(title: str) -> str:
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in title).strip() or "narration"

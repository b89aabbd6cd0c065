"""Narration jobs (/jobs): a document (PDF, EPUB, DOCX, ...) or a long text becomes scenes spoken
one by one.

POST /jobs answers 202 as soon as the first page is read, so the first scene plays while the rest
are still being made. The store is SQLite: its calls never run on the event loop (plain `def`
handlers run in the thread pool; async ones go through run_in_threadpool).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import JobStoreDep, RunnerDep, SettingsDep, VoiceStoreDep
from backend.api.schemas_jobs import JobDeleted, JobList, JobPublic, JobRetried
from backend.core import atomic, models
from backend.core.errors import (
    DocumentUnreadable,
    InvalidRequest,
    JobNotFound,
    NotReady,
    SceneNotFound,
    TextTooLong,
    error_for,
)
from backend.core.settings import MasteringName
from backend.core.speech import SynthesisParams
from backend.engines.manager import ModelManager
from backend.jobs.covers import narrator_of
from backend.jobs.files import remove_if_orphan
from backend.jobs.formats import detect_format, source_name
from backend.jobs.outputs import OUTPUTS, output_file
from backend.jobs.pdf import decrypted, open_info, parse_page_range
from backend.jobs.store import JobStore
from backend.jobs.worker import JobRunner
from backend.speaking.prepare import prepare
from backend.text.clean import clean_text
from backend.text.language import detect_language
from backend.voices.resolve import BUILTIN, resolve_voice

router = APIRouter(prefix="/jobs", tags=["jobs"])
# Scenes' quality holds only the checks that ran: send the keys the store holds, no added nulls.
DETECT_CHARS = 2000  # enough text to tell a language apart, little enough to be quick
JOB = {"response_model": JobPublic, "response_model_exclude_unset": True}


def _media(description: str, *types: str) -> dict[int | str, dict]:
    return {200: {"description": description, "content": {t: {} for t in types}}}


@router.post("", status_code=202, **JOB)
async def create_job(
    runner: RunnerDep,
    voices: VoiceStoreDep,
    settings: SettingsDep,
    file: UploadFile | None = File(
        None, description="A document to narrate: PDF, EPUB, MOBI, FB2, DOCX, .md, .html or .txt"
    ),
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
    model: str | None = Form(None, max_length=100, description="original, turbo, ..."),
    language: str | None = Form(
        None, max_length=10, description="The text's language (default: detected)"
    ),
    mastering: MasteringName | None = Form(
        None, description="standard, or audiobook: mastered to pass GET /jobs/{id}/report"
    ),
) -> dict[str, Any]:
    """Start narrating a document (`file`) or a text: 202 once the first page has given scenes.

    The kind of document is told from its bytes (see backend.jobs.formats); a book's title (when
    `title` is not given) and author come from its metadata.

    The job keeps the model it starts with (each scene switches to it if another was loaded
    meanwhile). A text's language is detected when not given; a non-English one goes to the
    Multilingual model where it is installed."""
    if (file is None) == (text is None):
        raise InvalidRequest("Send exactly one of 'file' (a document) or 'text'.")
    manager = runner.manager
    caps = manager.capabilities_for(manager.model_key(model))
    ref = resolve_voice(voice, voices, caps, settings.voice_aliases)
    if language is None and text is not None:
        language = await run_in_threadpool(job_language, manager, text, model)
    synthesis = SynthesisParams(
        rate=rate,
        exaggeration=exaggeration,
        cfg_weight=cfg_weight,
        temperature=temperature,
        seed=seed,
        language=language,
    )
    # Every refusal now (an unknown tag, a language, a clip too short), not scene by scene.
    ready = prepare(manager, text or "", synthesis, model, ref, speak=False)
    params = {
        **asdict(ready.params),
        "model": ready.model,
        "mastering": mastering or settings.mastering,
    }
    voice_id = ref.voice_id if ref else BUILTIN
    if text is not None:
        if len(text) > settings.max_job_chars:
            raise TextTooLong(
                f"The text has {len(text)} characters; a job takes at most "
                f"{settings.max_job_chars}."
            )
        text = clean_text(text, settings.max_job_chars)  # the same cleaning /tts applies
        return await run_in_threadpool(_create_text_job, runner, title, text, voice_id, params)

    data = await file.read()
    fmt = detect_format(data, file.filename)
    info = await run_in_threadpool(open_info, data, password, None, fmt)
    parse_page_range(pages, info["page_count"])  # a bad range is a 422 now, not a failed job
    if info["encrypted"]:  # keep an unlocked copy rather than the password
        data = await run_in_threadpool(decrypted, data, password or "")
    name = (file.filename or f"document.{fmt}").rsplit("/", 1)[-1]
    title = title or info["title"] or name.rsplit(".", 1)[0] or name
    job_id = await run_in_threadpool(
        _create_pdf_job, runner, title, data, voice_id, params, pages, (fmt, info["author"])
    )
    return await _first_page(job_id, runner, settings.first_page_timeout_seconds)


def _create_text_job(
    runner: JobRunner, title: str | None, text: str, voice: str, params: dict[str, Any]
) -> dict[str, Any]:
    job = runner.store.create_job(title or _title_of(text), "text", None, voice, params, None)
    runner.submit_text(job["id"], text)
    return runner.store.get_job(job["id"])


def _create_pdf_job(
    runner: JobRunner,
    title: str,
    data: bytes,
    voice: str,
    params: dict[str, Any],
    pages: str | None,
    book: tuple[str, str | None] = ("pdf", None),
) -> str:
    """The job's row (source_kind 'pdf' for every document: read by the reader child), then its
    file, then its path, format and author on the row; a failure in between leaves no job behind
    (and a crash there fails the job at the next start: job_source_missing)."""
    fmt, author = book
    job_id = runner.store.create_job(title, "pdf", None, voice, params, pages)["id"]
    source = runner.job_dir(job_id) / source_name(fmt)
    try:
        _save(source, data)
        runner.store.set_book(job_id, source_format=fmt, author=author)
        runner.store.set_source_path(job_id, str(source))
    except BaseException:
        runner.delete(job_id)
        raise
    runner.submit_pdf(job_id)
    return job_id


async def _first_page(job_id: str, runner: JobRunner, timeout: float) -> dict[str, Any]:
    """Wait until the first page has given scenes (or extraction ended); errors come back now,
    as the store recorded them (code, message and solution)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = await run_in_threadpool(runner.store.get_job, job_id)
        if job["scenes"] or job["extraction_status"] == "completed":
            return job
        if job["extraction_status"] == "failed":
            await run_in_threadpool(runner.delete, job_id)  # nothing to narrate: nothing kept
            if not job["error_code"]:
                raise DocumentUnreadable(job["error_message"] or None)
            raise error_for(job["error_code"], job["error_message"], job["error_solution"])
        await asyncio.sleep(0.05)
    return await run_in_threadpool(runner.store.get_job, job_id)


@router.get("", response_model=JobList)
def list_jobs(runner: RunnerDep) -> dict[str, Any]:
    return {"jobs": runner.store.list_jobs(), "paused_all": runner.queue.paused_all()}


@router.get("/{job_id}", **JOB)
def get_job(job_id: str, store: JobStoreDep) -> dict[str, Any]:
    return store.get_job(job_id)


@router.get(
    "/{job_id}/scenes/{index}/audio",
    response_class=FileResponse,
    responses=_media("The scene's speech (WAV)", "audio/wav"),
)
def scene_audio(job_id: str, index: int, store: JobStoreDep) -> FileResponse:
    scene = _scene(store, job_id, index)
    if scene["audio_status"] != "completed" or not scene["audio_path"]:
        raise NotReady(f"Scene {index} is {scene['audio_status']}.")
    return FileResponse(
        scene["audio_path"], media_type="audio/wav", filename=f"scene-{index:04d}.wav"
    )


@router.get(
    "/{job_id}/scenes/{index}/image",
    response_class=FileResponse,
    responses=_media("The scene's region of its page (PNG)", "image/png"),
)
def scene_image(job_id: str, index: int, store: JobStoreDep) -> FileResponse:
    scene = _scene(store, job_id, index)
    if scene["image_status"] != "completed" or not scene["image_path"]:
        raise NotReady(
            f"The image of scene {index} is {scene['image_status']}.",
            "Plain-text jobs have no page images; PDF scenes get one once spoken.",
        )
    return FileResponse(scene["image_path"], media_type="image/png")


@router.get(
    "/{job_id}/audio",
    response_class=FileResponse,
    responses=_media(
        "The whole narration, as a download",
        *dict.fromkeys(output.media_type for output in OUTPUTS.values()),
    ),
)
def job_audio(
    job_id: str,
    store: JobStoreDep,
    voices: VoiceStoreDep,
    format: str = Query("wav", pattern=f"^({'|'.join(OUTPUTS)})$"),
) -> FileResponse:
    job = store.get_job(job_id)
    if job["status"] != "completed" or not job["final_audio_path"]:
        progress = job["progress"]
        raise NotReady(
            f"The narration is {job['status']}: {progress['completed']} of {progress['total']} "
            "scenes are done."
        )
    path = output_file({**job, "narrator": narrator_of(job, voices)}, format)
    if remove_if_orphan(path.parent, lambda: store.exists(job_id)):
        raise JobNotFound()  # deleted while it was being made
    output = OUTPUTS[format]
    name = f"{download_name(job['title'])}.{output.suffix}"
    return FileResponse(path, media_type=output.media_type, filename=name)


@router.post("/{job_id}/cancel", **JOB)
def cancel_job(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    runner.cancel(job_id)
    return runner.store.get_job(job_id)


@router.post("/{job_id}/retry", response_model=JobRetried, response_model_exclude_unset=True)
def retry_job(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    requeued = runner.retry(job_id)
    return {"requeued": requeued, "job": runner.store.get_job(job_id)}


@router.delete("/{job_id}", response_model=JobDeleted)
def delete_job(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    runner.store.get_job(job_id)  # 404 before anything is touched
    runner.delete(job_id)
    return {"deleted": job_id}


def _scene(store: JobStore, job_id: str, index: int) -> dict[str, Any]:
    store.get_job(job_id)
    if index < 1:
        raise SceneNotFound()
    return store.get_scene(job_id, index)


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, data)


def _title_of(text: str) -> str:
    first = " ".join(text.split())[:60]
    return first or "Narration"


def download_name(title: str) -> str:
    """A job's title made safe as a download's file name (without its suffix)."""
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in title).strip() or "narration"


def job_language(manager: ModelManager, text: str, model: str | None) -> str | None:
    """The language of a job's text, where it matters: when the model asked for (or, without
    one, the Multilingual model) can speak more than English. None when unsure."""
    key = manager.model_key(model)
    speaks = set(manager.capabilities_for(key).languages)
    if key is None and models.MULTILINGUAL.key in manager.catalog:
        speaks |= set(manager.capabilities_for(models.MULTILINGUAL.key).languages)
    if len(speaks) < 2:
        return None
    return detect_language(text[:DETECT_CHARS], speaks)

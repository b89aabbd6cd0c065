"""A scene's takes: edit it, regenerate it, list and play its takes, choose one
(/jobs/{id}/scenes/{n}...). Everything is stored in SQLite before the answer, so a restart
loses no edit and no re-take asked for; the takes themselves are made by the job worker, behind
the scene in progress. Plain `def` handlers: FastAPI runs them in its thread pool."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from backend.api.deps import RunnerDep
from backend.api.schemas_jobs import Scene
from backend.api.schemas_takes import (
    SceneEdit,
    SceneTakes,
    StaleQueued,
    TakeChoice,
    TakeInfo,
    TakeQueued,
)
from backend.core.errors import SceneNotFound

router = APIRouter(prefix="/jobs", tags=["takes"])
SQLITE_MAX = 2**63 - 1  # the largest INTEGER SQLite stores
SCENE = {"response_model": Scene, "response_model_exclude_unset": True}


def _edit(body: SceneEdit) -> tuple[str | None, dict[str, Any] | None]:
    return body.text, None if body.params is None else body.params.given()


def _index(index: int) -> int:
    if not 1 <= index <= SQLITE_MAX:  # beyond SQLite's integers no scene can have it
        raise SceneNotFound()
    return index


# Before /{index}/takes: "stale" is no scene number.
@router.post("/{job_id}/scenes/stale/takes", status_code=202, response_model=StaleQueued)
def regenerate_stale(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Queue a re-take of every stale scene (its audio no longer matches its text, its settings
    or the lexicon); a scene with a re-take already queued is not queued twice."""
    return {"queued": runner.regenerate_stale(job_id)}


@router.patch("/{job_id}/scenes/{index}", **SCENE)
def edit_scene(job_id: str, index: int, body: SceneEdit, runner: RunnerDep) -> dict[str, Any]:
    """Store a new text and/or the scene's own settings now. A scene with audio that no longer
    matches them becomes stale (regenerate it); a pending one is spoken with them."""
    text, params = _edit(body)
    return runner.edit_scene(job_id, _index(index), text, params)


@router.post("/{job_id}/scenes/{index}/takes", status_code=202, response_model=TakeQueued)
def request_take(
    job_id: str, index: int, runner: RunnerDep, body: SceneEdit | None = None
) -> dict[str, Any]:
    """Queue a re-take (with an optional edit in the same call). A running job makes it behind
    the scene in progress; a failed scene goes back to pending instead. The new take becomes the
    scene's own when it is made."""
    text, params = _edit(body or SceneEdit())
    request, scene = runner.request_take(job_id, _index(index), text, params)
    return {"request": request, "scene": scene}


@router.get("/{job_id}/scenes/{index}/takes", response_model=SceneTakes)
def list_takes(job_id: str, index: int, runner: RunnerDep) -> dict[str, Any]:
    scene = runner.store.get_scene(job_id, _index(index))
    fields = [name for name in TakeInfo.model_fields if name != "chosen"]
    takes = [
        {**{name: take[name] for name in fields}, "chosen": take["number"] == scene["take"]}
        for take in runner.takes.list_takes(job_id, index)
    ]
    return {
        "idx": index,
        "chosen": scene["take"],
        "pending": scene["pending_takes"],
        "takes": takes,
    }


@router.get(
    "/{job_id}/scenes/{index}/takes/{number}/audio",
    response_class=FileResponse,
    responses={200: {"description": "The take's speech (WAV)", "content": {"audio/wav": {}}}},
)
def take_audio(job_id: str, index: int, number: int, runner: RunnerDep) -> FileResponse:
    take = runner.takes.get_take(job_id, _index(index), max(0, min(number, SQLITE_MAX)))
    name = f"scene-{index:04d}-take-{number}.wav"
    return FileResponse(take["audio_path"], media_type="audio/wav", filename=name)


@router.put("/{job_id}/scenes/{index}/take", **SCENE)
def choose_take(job_id: str, index: int, body: TakeChoice, runner: RunnerDep) -> dict[str, Any]:
    """Make a kept take the scene's own. A finished narration is re-assembled from the scenes'
    files (no synthesis) before the answer: its chapters, scene starts and subtitles follow, and
    its MP3, M4B and EPUB are made again on their next download."""
    return runner.choose_take(job_id, _index(index), body.take)

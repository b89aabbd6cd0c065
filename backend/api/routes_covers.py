"""A narration job's cover (/jobs/{id}/cover): the user's PNG or JPEG, put on the job and read
back; the M4B and MP3 downloads carry it (and are made again after it changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import JobStoreDep, RunnerDep, SettingsDep
from backend.api.schemas_jobs import JobPublic
from backend.core.errors import CoverNotFound, JobNotFound
from backend.jobs.covers import check_cover, media_type, save_cover
from backend.jobs.files import remove_if_orphan
from backend.jobs.worker import JobRunner

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.put("/{job_id}/cover", response_model=JobPublic, response_model_exclude_unset=True)
async def put_cover(
    job_id: str,
    runner: RunnerDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="The cover: a PNG or JPEG image"),
) -> dict[str, Any]:
    """Make the image the job's cover (replacing the document's own, if any); the audiobook
    downloads made before it are made again with it."""
    await run_in_threadpool(runner.store.get_job, job_id, False)  # 404 before reading the body
    data = await file.read()
    extension = await run_in_threadpool(check_cover, data, settings.max_cover_bytes)
    return await run_in_threadpool(_keep, runner, job_id, data, extension)


def _keep(runner: JobRunner, job_id: str, data: bytes, extension: str) -> dict[str, Any]:
    folder = runner.job_dir(job_id)
    path = save_cover(folder, data, extension)
    if remove_if_orphan(folder, lambda: runner.store.exists(job_id)):
        raise JobNotFound()  # deleted while the cover was being saved
    runner.store.set_book(job_id, cover_path=path)
    return runner.store.get_job(job_id)


@router.get(
    "/{job_id}/cover",
    response_class=FileResponse,
    responses={200: {"description": "The job's cover image", "content": {"image/*": {}}}},
)
def get_cover(job_id: str, store: JobStoreDep) -> FileResponse:
    job = store.get_job(job_id, scenes=False)
    path = Path(job["cover_path"]) if job.get("cover_path") else None
    if path is None or not path.is_file():
        raise CoverNotFound()
    return FileResponse(path, media_type=media_type(path))

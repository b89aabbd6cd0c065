"""The job queue (/jobs/queue, /jobs/{id}/pause, /jobs/{id}/resume, /jobs/pause-all,
/jobs/resume-all): the order jobs are spoken in, pausing at a scene boundary, and freeing the
GPU. The state is backend.jobs.queue's, in the jobs file: a restart keeps all of it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from backend.api.deps import RunnerDep
from backend.api.schemas_jobs import JobList, JobPublic
from backend.api.schemas_queue import PausedAll, QueueOrder, ResumedAll

router = APIRouter(prefix="/jobs", tags=["queue"])
JOB = {"response_model": JobPublic, "response_model_exclude_unset": True}


@router.put("/queue", response_model=JobList)
def reorder_queue(body: QueueOrder, runner: RunnerDep) -> dict[str, Any]:
    """Run the named unfinished jobs first, in this order (the others after them, as they
    were); the change takes effect at the next scene boundary."""
    runner.queue.reorder(body.order)
    runner.wake()
    return {"jobs": runner.store.list_jobs(), "paused_all": runner.queue.paused_all()}


@router.post("/pause-all", response_model=PausedAll)
async def pause_all(runner: RunnerDep) -> dict[str, Any]:
    """Pause every job (the scene in progress finishes first), then unload the model as
    POST /model/unload does. Jobs created from now on start paused; a restart keeps it so."""
    paused = await run_in_threadpool(runner.queue.pause_all)
    await run_in_threadpool(runner.scene_boundary)  # nothing can claim a scene after the pause
    return {"paused": paused, "unload": await runner.manager.unload()}


@router.post("/resume-all", response_model=ResumedAll)
def resume_all(runner: RunnerDep) -> dict[str, Any]:
    """Resume every paused job; the model loads again with the next scene."""
    resumed = runner.queue.resume_all()
    runner.wake()
    return {"resumed": resumed}


@router.post("/{job_id}/pause", **JOB)
def pause_job(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Pause at the next scene boundary: the scene being spoken finishes, no other starts."""
    runner.queue.pause(job_id)
    return runner.store.get_job(job_id)


@router.post("/{job_id}/resume", **JOB)
def resume_job(job_id: str, runner: RunnerDep) -> dict[str, Any]:
    """Let a paused job run again in its place in the queue (paused-all holds for the rest)."""
    runner.queue.resume(job_id)
    runner.wake()
    return runner.store.get_job(job_id)

"""A job's scenes a page at a time (GET /jobs/{id}/scenes), so a poll reads only what can change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from backend.api.deps import JobStoreDep
from backend.api.schemas_jobs import ScenesPage

router = APIRouter(prefix="/jobs", tags=["jobs"])

MAX_LIMIT = 500
MAX_AFTER = 2**31 - 1  # far beyond any job; keeps the value inside SQLite's integers


# A plain `def`: FastAPI runs it in its thread pool, so no SQLite call blocks the event loop.
@router.get("/{job_id}/scenes", response_model=ScenesPage, response_model_exclude_unset=True)
def list_scenes(
    job_id: str,
    store: JobStoreDep,
    after: int = Query(0, ge=0, le=MAX_AFTER, description="Scenes with idx above this one."),
    limit: int = Query(100, ge=1, le=MAX_LIMIT, description="At most this many scenes."),
) -> dict[str, Any]:
    """The scenes after `after`, in order, with the job itself (progress, no scenes).

    `next_after` is the `after` of the next page (null on the last); `total` counts the job's
    scenes; `unsettled_from` is the lowest idx whose audio or image can still change (null when
    none can). A poll that holds every scene below `unsettled_from` asks for
    `after=unsettled_from - 1` and reads nothing it already has.
    """
    return store.list_scenes(job_id, after, limit)

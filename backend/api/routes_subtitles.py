"""A finished narration's subtitles (GET /jobs/{id}/subtitles): SRT or WebVTT, one cue per
sentence or per word, timed against the assembled audio (backend.jobs.cues)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend.api.deps import JobStoreDep
from backend.api.routes_jobs import download_name
from backend.jobs.cues import cues, to_srt, to_vtt

router = APIRouter(prefix="/jobs", tags=["jobs"])

MEDIA = {"srt": "application/x-subrip", "vtt": "text/vtt"}


@router.get(
    "/{job_id}/subtitles",
    response_class=Response,
    responses={
        200: {
            "description": "The narration's subtitles, as a download",
            "content": {media: {} for media in MEDIA.values()},
        }
    },
)
def job_subtitles(
    job_id: str,
    store: JobStoreDep,
    format: Literal["srt", "vtt"] = Query("vtt"),
    level: Literal["sentence", "word"] = Query("sentence"),
) -> Response:
    job = store.get_job(job_id)
    found = cues(job, level)
    text = to_srt(found) if format == "srt" else to_vtt(found)
    name = f"{download_name(job['title'])}.{format}"
    return Response(
        text.encode(),
        media_type=f"{MEDIA[format]}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

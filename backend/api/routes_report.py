"""A finished narration's mastering report (GET /jobs/{id}/report): per chapter, its loudness,
RMS, peaks, noise floor and room tone against the audiobook-store rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from backend.api.deps import JobStoreDep
from backend.api.schemas_report import JobReport
from backend.core.errors import JobNotFound, NotReady
from backend.jobs.files import remove_if_orphan
from backend.jobs.report import mastering_report

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}/report", response_model=JobReport)
def job_report(job_id: str, store: JobStoreDep) -> dict[str, Any]:
    """Measured once, then cached until the narration changes; 409 before it is assembled."""
    job = store.get_job(job_id)
    if job["status"] != "completed" or not job["final_audio_path"]:
        raise NotReady(
            f"The narration is {job['status']}; its report is made once it is assembled.",
            "Wait until the job is completed; GET /jobs/{id} shows progress.",
        )
    report = mastering_report(job)
    if remove_if_orphan(Path(job["final_audio_path"]).parent, lambda: store.exists(job_id)):
        raise JobNotFound()  # deleted while it was measured
    return report

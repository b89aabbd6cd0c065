"""The FakeApi's queue: the order jobs run in (priority, then age), pausing one or all."""

from __future__ import annotations

from typing import Any

from frontend.api_protocol import JobBody, JobListBody, PausedAllBody, ResumedAllBody
from tests.frontend import fake_jobs, server_errors

ENDED = ("completed", "failed", "cancelled")


class FakeQueue:
    """Mixed into FakeApi, whose `_enter`, `_job`, `records` and `unload_model` these use.
    `paused_all` is the server's app_state memory of "Pause all"."""

    records: dict[str, dict[str, Any]]
    paused_all: bool

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def _job(self, job_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def unload_model(self) -> Any:
        raise NotImplementedError

    def job_list(self) -> JobListBody:
        self._enter("job_list")
        return self._listed()

    def reorder_jobs(self, order: list[str]) -> JobListBody:
        self._enter("reorder_jobs", order=order)
        unfinished = self._run_order()
        for job_id in order:
            if self._job(job_id)["status"] in ENDED:
                raise server_errors.invalid_request(
                    f"The job {job_id} has ended; only unfinished jobs can be reordered."
                )
        ids = list(dict.fromkeys(order)) + [j["id"] for j in unfinished if j["id"] not in order]
        for rank, job_id in enumerate(ids):
            self.records[job_id]["priority"] = len(ids) - rank
        return self._listed()

    def pause_job(self, job_id: str) -> JobBody:
        self._enter("pause_job", job_id=job_id)
        self._job(job_id)["paused"] = True
        return self._public(job_id)

    def resume_job(self, job_id: str) -> JobBody:
        self._enter("resume_job", job_id=job_id)
        self._job(job_id)["paused"] = False
        return self._public(job_id)

    def pause_all(self) -> PausedAllBody:
        self._enter("pause_all")
        paused = [job for job in self._run_order() if not job["paused"]]
        for job in paused:
            job["paused"] = True
        self.paused_all = True
        return {"paused": len(paused), "unload": self.unload_model()}

    def resume_all(self) -> ResumedAllBody:
        self._enter("resume_all")
        resumed = [job for job in self._run_order() if job["paused"]]
        for job in resumed:
            job["paused"] = False
        self.paused_all = False
        return {"resumed": len(resumed)}

    # -- plumbing
    def _run_order(self) -> list[dict[str, Any]]:
        """The unfinished jobs in the order they run: highest priority first, then oldest; each
        record's queue_position follows (1-based; None once a job has ended)."""
        for job in self.records.values():
            job["queue_position"] = None
        order = sorted(
            (job for job in self.records.values() if job["status"] not in ENDED),
            key=lambda job: (-job["priority"], job["created_at"]),
        )
        for position, job in enumerate(order, start=1):
            job["queue_position"] = position
        return order

    def _listed(self) -> dict[str, Any]:
        self._run_order()
        listed = sorted(self.records.values(), key=lambda j: j["created_at"], reverse=True)
        jobs = [fake_jobs.public(job, scenes=False) for job in listed]
        return {"jobs": jobs, "paused_all": self.paused_all}

    def _public(self, job_id: str) -> dict[str, Any]:
        self._run_order()
        return fake_jobs.public(self.records[job_id])

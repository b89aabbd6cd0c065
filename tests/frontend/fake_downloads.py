"""The FakeApi's downloads of a job: its scenes' audio and images, the narration in each format,
its mastering report, its cover (and the upload of one) and its subtitles, as the server
answers them."""

from __future__ import annotations

from typing import Any

from frontend.api_protocol import JobBody, JobReportBody
from tests.frontend import fake_jobs, fake_report, media, server_errors


class FakeDownloads:
    """Mixed into FakeApi, whose `_enter`, `_job` and `covers` these use."""

    covers: dict[str, bytes]

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def _job(self, job_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def scene_audio(self, job_id: str, index: int) -> bytes:
        self._enter("scene_audio", job_id=job_id, index=index)
        scene = fake_jobs.scene_of(self._job(job_id), index)
        if scene["audio_status"] != "completed":
            raise server_errors.not_ready(f"Scene {index} is {scene['audio_status']}.")
        return media.tone(0.5)

    def scene_image(self, job_id: str, index: int) -> bytes:
        self._enter("scene_image", job_id=job_id, index=index)
        scene = fake_jobs.scene_of(self._job(job_id), index)
        if scene["image_status"] != "completed" or not scene["image_path"]:
            raise server_errors.not_ready(f"The image of scene {index} is {scene['image_status']}.")
        return media.png()

    def job_audio(self, job_id: str, fmt: str = "mp3") -> bytes:
        self._enter("job_audio", job_id=job_id, fmt=fmt)
        job = self._job(job_id)
        if job["status"] != "completed":
            counts = fake_jobs.progress(job)
            done = f"{counts['completed']} of {counts['total']} scenes are done."
            raise server_errors.not_ready(f"The narration is {job['status']}: {done}")
        if fmt == "m4b":
            markers = [c for c in job.get("chapters", []) if "start_seconds" in c]
            chapters = tuple((c["title"], c["start_seconds"]) for c in markers)
            return media.m4b(job["title"], chapters)
        return media.tone(1.0, media.kind(fmt))

    def job_report(self, job_id: str) -> JobReportBody:
        self._enter("job_report", job_id=job_id)
        job = self._job(job_id)
        if job["status"] != "completed":
            raise server_errors.not_ready(
                f"The narration is {job['status']}; its report is made once it is assembled."
            )
        return fake_report.report(job)

    def put_cover(self, job_id: str, filename: str, data: bytes) -> JobBody:
        self._enter("put_cover", job_id=job_id, filename=filename)
        job = self._job(job_id)
        kind = media.image_kind(data)
        if kind not in ("png", "jpg"):
            raise server_errors.cover_unreadable()
        job["cover_path"] = f"/fake/jobs/{job_id}/cover-upload.{kind}"
        self.covers[job_id] = data
        return fake_jobs.public(job)

    def job_cover(self, job_id: str) -> bytes:
        self._enter("job_cover", job_id=job_id)
        self._job(job_id)
        if job_id not in self.covers:
            raise server_errors.cover_not_found()
        return self.covers[job_id]

    def job_subtitles(self, job_id: str, fmt: str = "vtt", level: str = "sentence") -> bytes:
        self._enter("job_subtitles", job_id=job_id, fmt=fmt, level=level)
        return fake_jobs.subtitles(self._job(job_id), fmt, level)

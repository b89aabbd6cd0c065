"""TakeCommands: what a person asks of a scene's takes (edit its text or settings, ask for a
re-take, re-take every stale scene, choose a kept take), as the job runner's commands.

A mixin of backend.jobs.worker.JobRunner: it uses the runner's store, take store, queue and
re-assembly, and only queues work; the synthesis thread makes the takes.
"""

from __future__ import annotations

from typing import Any

from backend.core.errors import SceneTextTooLong, TextEmpty
from backend.jobs.store import JobStore
from backend.jobs.store_takes import TakeStore


class TakeCommands:
    store: JobStore
    takes: TakeStore

    def _max_chars(self) -> int:
        raise NotImplementedError

    def _enqueue(self, job_id: str) -> None:
        raise NotImplementedError

    def reassemble(self, job_id: str) -> None:
        raise NotImplementedError

    def edit_scene(
        self, job_id: str, idx: int, text: str | None, params: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Store a scene's new text and/or settings now (PATCH /jobs/{id}/scenes/{n})."""
        if text is not None:
            text = text.strip()
            if not text:
                raise TextEmpty("The scene's new text is empty.")
            limit = self.store.get_job(job_id, scenes=False)["max_chars"] or self._max_chars()
            if len(text) > limit:
                raise SceneTextTooLong(
                    f"The text has {len(text)} characters; this engine speaks at most {limit} "
                    "in one scene."
                )
        return self.takes.edit_scene(job_id, idx, text, params)

    def request_take(
        self, job_id: str, idx: int, text: str | None = None, params: dict | None = None
    ) -> tuple[int | None, dict[str, Any]]:
        """Queue a re-take (with an optional edit first). A failed scene goes back to pending
        and a pending one is simply spoken when its turn comes: no request (None)."""
        edited = text is not None or params is not None
        scene = self.edit_scene(job_id, idx, text, params)
        request = None
        if scene["audio_status"] == "failed":
            self.takes.requeue_failed(job_id, idx)
        elif scene["audio_status"] != "pending":
            request = self.takes.add_request(job_id, idx, "edit" if edited else "regenerate")
        self._enqueue(job_id)
        return request, self.store.get_scene(job_id, idx)

    def regenerate_stale(self, job_id: str) -> int:
        """A re-take for every stale scene that has none queued yet; how many were queued."""
        queued = 0
        for idx in self.takes.stale_scenes(job_id):
            if not self.takes.pending(job_id, idx):
                self.takes.add_request(job_id, idx, "stale")
                queued += 1
        self._enqueue(job_id)
        return queued

    def choose_take(self, job_id: str, idx: int, number: int) -> dict[str, Any]:
        """Make a kept take the scene's own; a finished narration is re-assembled now."""
        self.takes.choose(job_id, idx, number)
        self.reassemble(job_id)
        return self.store.get_scene(job_id, idx)

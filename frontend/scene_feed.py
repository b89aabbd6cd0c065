"""The scenes of one open job, held between polls and refreshed by reading only what can change."""

from __future__ import annotations

from typing import Any

from frontend.api_protocol import StudioApi

WINDOW = 10  # scenes read at the cursor each poll: the one being spoken and a few after it
PAGE = 500  # the server's largest page, for the first read and for catching up


def settled(scene: dict[str, Any]) -> bool:
    """Audio failed, or audio and page image both done, with no re-take queued and no check
    running (the server's rule, JobStore.list_scenes)."""
    if scene.get("pending_takes") or scene.get("check_status") in ("checking", "retaking"):
        return False
    audio = scene["audio_status"]
    return audio == "failed" or (
        audio == "completed" and scene["image_status"] in ("completed", "failed")
    )


class SceneFeed:
    """The scenes of job `job_id`, by idx. Not thread-safe: one per browser session.

    The server changes a settled scene only by first unsettling it (a retry sends failed scenes
    back to pending), or when it assembles the narration (each scene gets its `start_seconds`;
    the job its `final_audio_path`), which the feed sees on the job and reads again. So a poll
    asks for the scenes after the last of the leading settled ones, one short page, and reads on
    only when that page does not reach past the changing part, when the job has scenes the feed
    does not hold, or when a settled scene it holds has gone stale.
    """

    def __init__(self, job_id: str):
        self.job_id = job_id
        self.scenes: dict[int, dict[str, Any]] = {}
        self._assembled: str | None = None  # the job's final_audio_path when last read

    def poll(self, api: StudioApi) -> dict[str, Any]:
        """The job as GET /jobs/{id} shows it (its `scenes` from this feed), brought up to date.

        Raises the ApiError of any read that fails; what was merged before it is kept.
        """
        after = self.cursor()
        body = self._read(api, after, WINDOW)
        restart = self._restart(after, body)
        if restart is not None:  # a scene held as settled changed: read again from it to the end
            body = self._read(api, restart, PAGE)
        while body["next_after"] is not None and (
            restart is not None
            or settled(body["scenes"][-1])  # the changing part may go on past this page
            or body["total"] != len(self.scenes)  # scenes were added (or re-split) since
        ):
            body = self._read(api, body["next_after"], PAGE)
        return {**body["job"], "scenes": [self.scenes[idx] for idx in sorted(self.scenes)]}

    def cursor(self) -> int:
        """The idx of the last scene of the leading run of settled ones (0: none)."""
        last = 0
        for idx in sorted(self.scenes):
            if not settled(self.scenes[idx]):
                break
            last = idx
        return last

    def _read(self, api: StudioApi, after: int, limit: int) -> dict[str, Any]:
        """One page, merged: it replaces what the feed held in the span it covers."""
        body = api.job_scenes(self.job_id, after=after, limit=limit)
        scenes = body["scenes"]
        end = scenes[-1]["idx"] if body["next_after"] is not None else None  # None: to the end
        for idx in [i for i in self.scenes if i > after and (end is None or i <= end)]:
            del self.scenes[idx]
        self.scenes.update((scene["idx"], scene) for scene in scenes)
        return body

    def _restart(self, after: int, body: dict[str, Any]) -> int | None:
        """Where to read again from, if a scene held below the cursor is no longer what it was.

        The server's first unsettled scene lies at or below the cursor (it was retried), or the
        server counts fewer failed scenes than the feed holds (some were retried and have moved
        on since), or the narration was assembled (or assembled again) since the last read.
        """
        points = []
        previous, self._assembled = self._assembled, body["job"].get("final_audio_path")
        if self._assembled != previous and after > 0:
            points.append(0)
        unsettled = body["unsettled_from"]
        if unsettled is not None and unsettled <= after:
            points.append(unsettled - 1)
        failed = [idx for idx, scene in self.scenes.items() if scene["audio_status"] == "failed"]
        if len(failed) > body["job"]["progress"]["failed"]:
            points.append(min(failed) - 1)
        return min(points) if points else None

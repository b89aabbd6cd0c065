"""The FakeApi's scene editing and takes: edits, re-takes queued and made, choosing a take."""

from __future__ import annotations

from typing import Any

from frontend.api_protocol import SceneBody, StaleQueuedBody, TakeListBody, TakeQueuedBody
from tests.frontend import fake_jobs, fake_take_store, media, server_errors
from tests.frontend.fake_take_store import SCENE_PARAMS

_request_ids = iter(range(1, 10**9))


class FakeTakes:
    """Mixed into FakeApi, whose `_enter`, `_job` and `_spoken` these use. Re-takes are made
    only when a test says so (`make_takes`), as the worker would make them, in order."""

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def _job(self, job_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def _spoken(self, job_id: str, text: str) -> str:
        raise NotImplementedError

    # -- scripting
    def make_takes(self, job_id: str, wer: float | None = None) -> None:
        """Every queued re-take of the job made now: chosen when made for an edit, a
        regeneration or a stale scene; one made for a failed check only if it scores better."""
        job = self._job(job_id)
        for request in list(fake_take_store.requests_of(job)):
            scene = fake_jobs.scene_of(job, request["idx"])
            spoken = self._spoken(job_id, scene["text"])
            take = fake_take_store.record(job, scene, request["reason"], spoken, wer)
            chosen = _take(job, scene["idx"], scene["take"]) if scene["take"] else None
            better = chosen is None or (wer or 0) < (chosen["wer"] or 1)
            if request["reason"] != "check" or better:
                fake_take_store.choose(scene, take)
            fake_take_store.requests_of(job).remove(request)
            scene["pending_takes"] -= 1
            if scene["check_status"] == "retaking" and not scene["pending_takes"]:
                scene["check_status"] = "passed"
        _reassemble(job)

    # -- the protocol
    def edit_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> SceneBody:
        self._enter("edit_scene", job_id=job_id, index=index, text=text, params=params)
        scene = self._edit(job_id, index, text, params)
        return dict(scene)

    def regenerate_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> TakeQueuedBody:
        self._enter("regenerate_scene", job_id=job_id, index=index, text=text, params=params)
        job = self._job(job_id)
        before = fake_jobs.scene_of(job, index)
        edited = (text is not None and text != before["text"]) or (
            params is not None and params != (before.get("params") or {})
        )
        scene = self._edit(job_id, index, text, params)
        if scene["audio_status"] != "completed":  # a pending scene is simply spoken as it is now
            if scene["audio_status"] == "failed":
                scene.update(audio_status="pending", error_code=None, error_message=None)
                if job["status"] == "failed":
                    job.update(status="pending", error_code=None, error_message=None)
            return {"request": None, "scene": dict(scene)}
        reason = "edit" if edited else "stale" if scene["stale"] else "regenerate"
        return {"request": self._queue(job, scene, reason), "scene": dict(scene)}

    def regenerate_stale(self, job_id: str) -> StaleQueuedBody:
        self._enter("regenerate_stale", job_id=job_id)
        job = self._job(job_id)
        stale = [s for s in job["scenes"] if s["stale"] and not s["pending_takes"]]
        for scene in stale:
            self._queue(job, scene, "stale")
        return {"queued": len(stale)}

    def scene_takes(self, job_id: str, index: int) -> TakeListBody:
        self._enter("scene_takes", job_id=job_id, index=index)
        job = self._job(job_id)
        scene = fake_jobs.scene_of(job, index)
        return fake_take_store.public(job, index, scene["take"])

    def take_audio(self, job_id: str, index: int, take: int) -> bytes:
        self._enter("take_audio", job_id=job_id, index=index, take=take)
        job = self._job(job_id)
        fake_jobs.scene_of(job, index)
        found = _take(job, index, take)
        return media.tone(0.5, pitch=220.0 + 20.0 * found["number"])

    def choose_take(self, job_id: str, index: int, take: int) -> SceneBody:
        self._enter("choose_take", job_id=job_id, index=index, take=take)
        job = self._job(job_id)
        scene = fake_jobs.scene_of(job, index)
        fake_take_store.choose(scene, _take(job, index, take))
        _reassemble(job)
        return dict(scene)

    # -- plumbing
    def _edit(
        self, job_id: str, index: int, text: str | None, params: dict[str, Any] | None
    ) -> dict[str, Any]:
        job = self._job(job_id)
        scene = fake_jobs.scene_of(job, index)
        if text is not None and not text.strip():
            raise server_errors.text_empty()
        unknown = sorted(set(params or {}) - set(SCENE_PARAMS))
        if unknown:
            raise server_errors.scene_params_unknown(unknown)
        if text is not None:
            scene["text"] = text
        if params is not None:
            scene["params"] = {key: value for key, value in params.items() if value is not None}
        if scene["take"]:
            scene["stale"] = fake_take_store.differs(scene, _take(job, index, scene["take"]))
        return scene

    def _queue(self, job: dict[str, Any], scene: dict[str, Any], reason: str) -> int:
        request = next(_request_ids)
        fake_take_store.requests_of(job).append(
            {"id": request, "idx": scene["idx"], "reason": reason}
        )
        scene["pending_takes"] += 1
        return request


def _take(job: dict[str, Any], idx: int, number: int) -> dict[str, Any]:
    for take in fake_take_store.takes_of(job, idx):
        if take["number"] == number:
            return take
    raise server_errors.take_not_found(number)


def _reassemble(job: dict[str, Any]) -> None:
    """A completed job's narration made again from its scenes' chosen takes (no synthesis):
    the scene starts follow the new durations."""
    if job["status"] != "completed":
        return
    at = 0.0
    for scene in job["scenes"]:
        scene["start_seconds"] = round(at, 3)
        at += scene["duration_seconds"] + fake_jobs.PAUSE_SECONDS

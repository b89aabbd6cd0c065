"""FakeApi: an in-memory narration server behind ApiClient's interface, scriptable by tests."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from frontend.api_client import ApiError, unreachable
from frontend.api_protocol import (
    CurrentClearedBody,
    CurrentVoiceBody,
    HealthBody,
    JobBody,
    JobDeletedBody,
    JobRetriedBody,
    JobSummaries,
    ModelStatusBody,
    ModelUnloadBody,
    PdfPreviewBody,
    ScenesPageBody,
    VoiceBody,
    VoiceDeletedBody,
    VoiceListBody,
)
from tests.frontend import fake_jobs, fake_pdf, fake_voices, media, server_errors

LIMITS: dict[str, Any] = {
    "max_upload_bytes": 52428800,
    "max_upload_mb": 50,
    "max_text_chars": 5000,
    "max_job_chars": 2000000,
    "voice_min_seconds": 3.0,
    "voice_max_seconds": 60.0,
    "max_pdf_pages": 2000,
}
MEMORY: dict[str, Any] = {
    "rss_bytes": 170885120,
    "vram_allocated_bytes": None,
    "vram_reserved_bytes": None,
    "vram_free_bytes": None,  # the whole device's, on a GPU
    "vram_total_bytes": None,
    "ram_total_bytes": 25276502016,
    "ram_available_bytes": 24695967744,
}
READING_KEYS = (
    "rss_bytes",
    "host_rss_bytes",
    "vram_device_used_bytes",
    "vram_allocated_bytes",
    "vram_reserved_bytes",
)  # /model/unload's
_instances = itertools.count(1)


class FakeApi:
    """StudioApi (ApiClient's protocol) with the server in memory: same signatures, and answers
    that conform to the server's response models (test_fake_api.py checks both).

    Scripting: `engine`, `device`, `can_clone`, `state`, `model_loaded`, `keep_alive`,
    `expires_in`, `last_error`, `engine_host`, `limits`, `memory`, `engine_voices` (the names of the engine's
    own voices, as Piper's CHATTERBOX_PIPER_VOICES_DIR gives them), `current` (a library id;
    one the engine cannot speak is passed over, as the server does);
    `down = True` makes every call raise server_unreachable, `not_set_up = True` makes /health
    answer the 503 body (and every other call raise it); `fail_next(method, error)` queues an
    ApiError for the next call of one method. Jobs advance only when a test says so
    (`add_job`, `complete_scene`, `fail_scene`, `finish_job`). Each call, failed ones included,
    is appended to `calls` as (method, {argument: value}); `scenes_sent` lists the idx of every
    scene row that `job_scenes` returned.
    """

    def __init__(self, *, engine: str = "piper", can_clone: bool | None = None, **limits: Any):
        self.base_url = f"http://fake-{next(_instances)}.invalid"  # st.cache_data keys on it
        self.timeout, self.slow_timeout = 10.0, 600.0
        self.engine = engine
        self.device = "cpu" if engine == "piper" else "cuda"
        self.can_clone = engine == "chatterbox" if can_clone is None else can_clone
        self.state, self.model_loaded, self.keep_alive = "ready", True, -1.0
        self.expires_in: float | None = None
        self.last_error: dict[str, Any] | None = None
        # the engine's host process, as /health reports it (None: an engine in the server)
        self.engine_host: dict[str, Any] | None = {
            "pid": 4242,
            "rss_bytes": 412_000_000,
            "starts": 1,
            "last_exit": None,
        }
        self.down = self.not_set_up = False
        self.limits = {**LIMITS, **limits}
        self.memory = dict(MEMORY)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.library: list[dict[str, Any]] = []
        self.current: str | None = None
        self.engine_voices: list[str] = []
        self.clips: dict[str, bytes] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.scenes_sent: list[int] = []  # the idx of every scene row job_scenes answered with
        self._queued: dict[str, list[ApiError]] = defaultdict(list)

    # -- scripting -----------------------------------------------------------------------------
    def fail_next(self, method: str, error: ApiError) -> None:
        self._queued[method].append(error)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    def add_voice_record(self, name: str, seconds: float = 12.5) -> dict[str, Any]:
        """A voice already in the library, as if uploaded earlier."""
        clip = media.tone(seconds)
        return self._store_voice(name, clip, seconds)

    def add_job(
        self,
        title: str = "The Mill",
        *,
        scenes: int = 5,
        completed: int = 0,
        processing: int = 0,
        source_kind: str = "pdf",
    ) -> str:
        """A job some way through: the first `completed` scenes done, the next `processing` running."""
        job = fake_jobs.seeded_job(title, scenes, completed, processing, source_kind)
        self.records[job["id"]] = job
        return job["id"]

    def complete_scene(self, job_id: str, idx: int) -> None:
        fake_jobs.complete_scene(self.records[job_id], idx)
        fake_jobs.settle(self.records[job_id])

    def fail_scene(self, job_id: str, idx: int, message: str = "Speech synthesis failed.") -> None:
        fake_jobs.fail_scene(self.records[job_id], idx, message)
        fake_jobs.settle(self.records[job_id])

    def finish_job(self, job_id: str) -> None:
        job = self.records[job_id]
        for scene in job["scenes"]:
            if scene["audio_status"] != "completed":
                fake_jobs.complete_scene(job, scene["idx"])
        fake_jobs.settle(job)

    # -- server and model ----------------------------------------------------------------------
    def health(self) -> HealthBody:
        self._enter("health")
        if self.not_set_up:
            error = server_errors.not_set_up()
            body = {"error": error.code, "message": error.message, "solution": error.solution}
            return {**body, "engine": self.engine, "limits": dict(self.limits)}
        return {
            "status": "healthy",
            **self._model_status(),
            "can_clone": self.can_clone,
            "has_builtin_voice": True,
            "sample_rate": media.RATE,
            "memory": dict(self.memory),
            "limits": dict(self.limits),
        }

    def load_model(self) -> ModelStatusBody:
        self._enter("load_model")
        self.state, self.model_loaded = "ready", True
        memory = {
            key: value for key, value in self.memory.items() if key.startswith(("rss", "vram"))
        }
        return {**self._model_status(), **memory}

    def unload_model(self) -> ModelUnloadBody:
        self._enter("unload_model")
        was_loaded = self.model_loaded
        self.state, self.model_loaded = "unloaded", False
        before = {key: self.memory.get(key) for key in READING_KEYS}
        after = dict(before)
        if self.engine_host is not None and was_loaded:  # the host ends, and all it held
            before["host_rss_bytes"] = self.engine_host["rss_bytes"]
            gone = ("host_rss_bytes", "vram_allocated_bytes", "vram_reserved_bytes")
            after |= {key: 0 for key in gone if before[key] is not None}
            self.engine_host = {**self.engine_host, "pid": None, "rss_bytes": None}
            self.engine_host["last_exit"] = "unloaded"
        freed = {
            key: None if before[key] is None or after[key] is None else before[key] - after[key]
            for key in before
        }
        body = {"unloaded": was_loaded, "engine": self.engine, "before": before}
        return {**body, "after": after, "freed": freed}

    # -- voices --------------------------------------------------------------------------------
    def voices(self) -> VoiceListBody:
        self._enter("voices")
        return {
            "voices": [dict(voice) for voice in self.library],
            "current": self.current,
            "current_warning": self._current_warning(),
            "builtin_available": True,
            "engine_voices": [{"id": name, "name": name} for name in self.engine_voices],
            "can_clone": self.can_clone,
            "aliases": {},
        }

    def add_voice(self, filename: str, data: bytes, name: str | None = None) -> VoiceBody:
        self._enter("add_voice", filename=filename, data=data, name=name)
        seconds = server_errors.check_clip(filename, data, self.limits)
        label = (name or "").strip() or filename.rsplit(".", 1)[0] or "voice"
        return dict(self._store_voice(label, data, seconds))

    def select_voice(self, voice_id: str) -> CurrentVoiceBody:
        self._enter("select_voice", voice_id=voice_id)
        voice = self._voice(voice_id, unknown=self._unknown)  # what is asked for first
        if not self.can_clone:
            raise server_errors.cloning_unavailable()
        self.current = voice["id"]
        return {"current": self.current, "voice": dict(voice)}

    def clear_voice(self) -> CurrentClearedBody:
        self._enter("clear_voice")
        self.current = None
        return {"current": None}

    def delete_voice(self, voice_id: str) -> VoiceDeletedBody:
        self._enter("delete_voice", voice_id=voice_id)
        self.library.remove(self._voice(voice_id))
        if self.current == voice_id:
            self.current = None
        return {"deleted": voice_id, "current": self.current}

    def voice_audio(self, voice_id: str) -> bytes:
        self._enter("voice_audio", voice_id=voice_id)
        return self.clips[self._voice(voice_id)["id"]]

    # -- speech --------------------------------------------------------------------------------
    def speak(
        self, text: str, voice: str | None, params: dict[str, Any], fmt: str = "wav"
    ) -> bytes:
        self._enter("speak", text=text, voice=voice, params=params, fmt=fmt)
        if not text.strip():
            raise server_errors.text_empty()
        self._resolve_voice(voice)
        return media.tone(0.5, "MP3" if fmt == "mp3" else "WAV")

    # -- documents and jobs --------------------------------------------------------------------
    def preview_pdf(
        self, filename: str, data: bytes, pages: str | None = None, password: str | None = None
    ) -> PdfPreviewBody:
        self._enter("preview_pdf", filename=filename, data=data, pages=pages, password=password)
        return fake_pdf.preview(filename, data, pages, password)

    def create_job(
        self,
        *,
        text: str | None = None,
        pdf: tuple[str, bytes] | None = None,
        title: str | None = None,
        voice: str | None = None,
        pages: str | None = None,
        password: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> JobBody:
        sent = {"text": text, "pdf": pdf, "title": title, "voice": voice, "pages": pages}
        self._enter("create_job", **sent, password=password, params=params)
        if (text is None) == (pdf is None):
            raise server_errors.invalid_request("Send exactly one of 'file' (a PDF) or 'text'.")
        voice_id = self._resolve_voice(voice) or "builtin"
        if text is not None:
            job = fake_jobs.text_job(text, title, voice_id, dict(params or {}))
        else:
            name, data = pdf
            job = fake_jobs.pdf_job(
                name, data, pages, password, title, voice_id, dict(params or {})
            )
        self.records[job["id"]] = job
        return fake_jobs.public(job)

    def jobs(self) -> JobSummaries:
        self._enter("jobs")
        listed = sorted(self.records.values(), key=lambda j: j["created_at"], reverse=True)
        return [fake_jobs.public(job, scenes=False) for job in listed]

    def job(self, job_id: str) -> JobBody:
        self._enter("job", job_id=job_id)
        return fake_jobs.public(self._job(job_id))

    def job_scenes(self, job_id: str, after: int = 0, limit: int = 100) -> ScenesPageBody:
        self._enter("job_scenes", job_id=job_id, after=after, limit=limit)
        body = fake_jobs.page(self._job(job_id), after, limit)
        self.scenes_sent += [scene["idx"] for scene in body["scenes"]]
        return body

    def cancel_job(self, job_id: str) -> JobBody:
        self._enter("cancel_job", job_id=job_id)
        job = self._job(job_id)
        fake_jobs.cancel(job)
        return fake_jobs.public(job)

    def retry_job(self, job_id: str) -> JobRetriedBody:
        self._enter("retry_job", job_id=job_id)
        job = self._job(job_id)
        requeued = fake_jobs.retry(job)
        return {"requeued": requeued, "job": fake_jobs.public(job)}

    def delete_job(self, job_id: str) -> JobDeletedBody:
        self._enter("delete_job", job_id=job_id)
        del self.records[self._job(job_id)["id"]]
        return {"deleted": job_id}

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
        return media.tone(1.0, "MP3" if fmt == "mp3" else "WAV")

    # -- plumbing ------------------------------------------------------------------------------
    def _enter(self, method: str, **args: Any) -> None:
        """Record the call, then fail it the way the server would have, if scripted to."""
        self.calls.append((method, args))
        if self.down:
            raise unreachable(self.base_url)
        if self.not_set_up and method != "health":
            raise server_errors.not_set_up()
        if self._queued[method]:
            raise self._queued[method].pop(0)

    def _model_status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "model_loaded": self.model_loaded,
            "engine": self.engine,
            "device": self.device,
            "in_flight": 0,
            "keep_alive": self.keep_alive,
            "expires_at": None,
            "expires_in": self.expires_in,
            "last_error": self.last_error,
            "engine_host": self.engine_host,
        }

    def _store_voice(self, name: str, clip: bytes, seconds: float) -> dict[str, Any]:
        voice = fake_voices.record(name, seconds, order=len(self.library))
        self.library.append(voice)
        self.clips[voice["id"]] = clip
        return voice

    def _voice(self, voice_id: str, unknown=server_errors.voice_not_found) -> dict[str, Any]:
        for voice in self.library:
            if voice["id"] == voice_id:
                return voice
        raise unknown(voice_id)

    def _unknown(self, voice_id: str) -> ApiError:
        available = ["builtin", *self.engine_voices] + [v["id"] for v in self.library]
        return server_errors.unknown_voice(voice_id, available)

    def _current_warning(self) -> str | None:
        """The server's words for a current voice the engine cannot speak (else None)."""
        if self.current is None or self.can_clone:
            return None
        return (
            f"The current voice {self.current!r} cannot be spoken (this engine cannot clone); "
            "the built-in voice spoke instead. Choose another with POST /load_voice or clear it "
            "with DELETE /load_voice."
        )

    def _resolve_voice(self, voice: str | None) -> str | None:
        """The voice id spoken in (None: the built-in one). No voice: the current one, passed
        over when the engine cannot clone (the server's X-Voice-Warning case)."""
        if not voice:
            return self.current if self.can_clone else None
        if voice == "builtin":
            return None
        if voice in self.engine_voices:
            return voice
        found = self._voice(voice, unknown=self._unknown)["id"]
        if not self.can_clone:
            raise server_errors.cloning_unavailable()
        return found

    def _job(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.records:
            raise server_errors.job_not_found()
        return self.records[job_id]

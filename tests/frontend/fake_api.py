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
    Speech,
    VoiceBody,
    VoiceDeletedBody,
    VoiceListBody,
)
from tests.frontend import (
    fake_jobs,
    fake_models,
    fake_pdf,
    fake_voices,
    media,
    server_errors,
)
from tests.frontend.fake_downloads import FakeDownloads
from tests.frontend.fake_lexicon import FakeLexicon
from tests.frontend.fake_memory import LIMITS, MEMORY, unloaded
from tests.frontend.fake_queue import FakeQueue
from tests.frontend.fake_takes import FakeTakes
from tests.frontend.fake_voices import FakeVoiceLookup
from tests.frontend.fake_workers import FakeWorkers

_instances = itertools.count(1)


class FakeApi(FakeDownloads, FakeQueue, FakeLexicon, FakeTakes, FakeVoiceLookup, FakeWorkers):
    """StudioApi (ApiClient's protocol) with the server in memory: same signatures, and answers
    that conform to the server's response models (test_fake_api.py checks both).

    Scripting: `engine`, `device`, `can_clone`, `state`, `model_loaded`, `keep_alive`,
    `expires_in`, `last_error`, `engine_host`, `limits`, `memory`, `engine_voices` (the names of
    the engine's own voices, as Piper's CHATTERBOX_PIPER_VOICES_DIR gives them), `current` (a
    library id; one the engine cannot speak is passed over, as the server does); `models` (a
    FakeModels: the catalog, the loaded model, switching, each model's traits; `use_family`).
    `down = True` makes every call raise server_unreachable, `not_set_up = True` makes /health
    answer the 503 body (and every other call raise it); `fail_next(method, error)` queues an
    ApiError for the next call of one method. Jobs advance only when a test says so
    (`add_job`, `complete_scene`, `fail_scene`, `finish_job`), and queued re-takes are made only
    then too (`make_takes`); a job's language is not
    detected (the server's detection is its own). Each call, failed ones included,
    is appended to `calls` as (method, {argument: value}); `scenes_sent` lists the idx of every
    scene row that `job_scenes` returned.
    """

    def __init__(self, *, engine: str = "piper", can_clone: bool | None = None, **limits: Any):
        self.base_url = f"http://fake-{next(_instances)}.invalid"  # st.cache_data keys on it
        self.timeout, self.slow_timeout = 10.0, 600.0
        self.engine, self.device = engine, "cpu" if engine == "piper" else "cuda"
        self.can_clone = engine == "chatterbox" if can_clone is None else can_clone
        self.state, self.model_loaded, self.keep_alive = "ready", True, -1.0
        self.expires_in: float | None = None
        self.last_error: dict[str, Any] | None = None  # as /health reports it
        # the engine's host process, as /health reports it (None: an engine in the server)
        self.engine_host: dict[str, Any] | None = {"pid": 4242, "rss_bytes": 412_000_000,
                                                   "starts": 1, "last_exit": None}  # fmt: skip
        self.down = self.not_set_up = False
        self.limits = {**LIMITS, **limits}
        self.memory = dict(MEMORY)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.library: list[dict[str, Any]] = []
        self.current: str | None = None
        self.engine_voices: list[str] = []
        self.clips: dict[str, bytes] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.covers: dict[str, bytes] = {}  # job id: the uploaded cover's bytes
        self.entries: dict[str, dict[str, dict[str, Any]]] = {}  # the lexicon, by scope
        self.paused_all = False
        self.scenes_sent: list[int] = []  # the idx of every scene row job_scenes answered with
        self.models = fake_models.FakeModels()
        self.pull_workers: list[dict[str, Any]] = []  # GET /workers (fake_workers.py)
        self._queued: dict[str, list[ApiError]] = defaultdict(list)

    # -- scripting -----------------------------------------------------------------------------
    def fail_next(self, method: str, error: ApiError) -> None:
        self._queued[method].append(error)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    def use_family(self, *keys: str, loaded: str = "original") -> None:
        """A server on a GPU with these models (default: the Chatterbox family), one loaded."""
        self.engine = "piper" if loaded == "piper" else "chatterbox"
        self.device, self.can_clone = "cuda", self.models.of(loaded).can_clone
        self.models.catalog = list(keys or ("original", "turbo", "multilingual"))
        self.models.loaded = loaded

    def add_voice_record(self, name: str, seconds: float = 12.5) -> dict[str, Any]:
        """A voice already in the library, as if uploaded earlier."""
        return self._store_voice(name, media.tone(seconds), seconds)

    def add_job(
        self,
        title: str = "The Mill",
        *,
        scenes: int = 5,
        completed: int = 0,
        processing: int = 0,
        source_kind: str = "pdf",
        source_format: str | None = None,
    ) -> str:
        """A job some way through: the first `completed` scenes done, the next `processing` running."""
        job = fake_jobs.seeded_job(title, scenes, completed, processing, source_kind, source_format)
        self.records[job["id"]] = job
        return job["id"]

    def complete_scene(self, job_id: str, idx: int) -> None:
        fake_jobs.complete_scene(self.records[job_id], idx)
        fake_jobs.settle(self.records[job_id])

    def fail_scene(self, job_id: str, idx: int, message: str = "Speech synthesis failed.") -> None:
        fake_jobs.fail_scene(self.records[job_id], idx, message)
        fake_jobs.settle(self.records[job_id])

    def finish_job(self, job_id: str) -> None:
        fake_jobs.finish(self.records[job_id])

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
            **self.models.health(self.engine, self.model_loaded),
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
        body, self.engine_host = unloaded(self.memory, self.engine_host, was_loaded)
        return {"unloaded": was_loaded, "engine": self.engine, **body}

    # -- voices --------------------------------------------------------------------------------
    def voices(self) -> VoiceListBody:
        self._enter("voices")
        return {
            "voices": [dict(voice) for voice in self.library],
            "current": self.current,
            "current_warning": fake_voices.current_warning(self.current, self.can_clone),
            "builtin_available": True,
            "engine_voices": [{"id": name, "name": name} for name in self.engine_voices],
            "can_clone": self.can_clone,
            "aliases": {},
        }

    def add_voice(
        self, filename: str, data: bytes, name: str | None = None, language: str | None = None
    ) -> VoiceBody:
        self._enter("add_voice", filename=filename, data=data, name=name, language=language)
        seconds = server_errors.check_clip(filename, data, self.limits)
        label = (name or "").strip() or filename.rsplit(".", 1)[0] or "voice"
        voice = self._store_voice(label, data, seconds)
        if language is not None:
            voice["language"] = language
        return dict(voice)

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
        self,
        text: str,
        voice: str | None,
        params: dict[str, Any],
        fmt: str = "wav",
        model: str | None = None,
        language: str | None = None,
    ) -> Speech:
        sent = {"text": text, "voice": voice, "params": params, "fmt": fmt}
        self._enter("speak", **sent, model=model, language=language)
        if not text.strip():
            raise server_errors.text_empty()
        key = self.models.key_of(model, self.engine)
        voice_id = self._resolve_voice(voice, self._can_clone(key))
        ready = self.models.prepare(
            self.engine, model, text, language, params, self._clip_of(voice_id)
        )
        self._switch(ready.key)
        audio, removed = media.tone(0.5, media.kind(fmt)), tuple(dict.fromkeys(ready.tags_removed))
        return Speech(audio, ready.key, voice_id or "builtin", 0.5, removed, ready.params_ignored)

    def convert_voice(
        self, filename: str, data: bytes, voice: str, fmt: str = "wav", model: str | None = None
    ) -> Speech:
        self._enter(
            "convert_voice", filename=filename, data=data, voice=voice, fmt=fmt, model=model
        )
        key = self.models.converting(self.engine, model)
        voice_id = self._resolve_voice(voice, True)
        self.models.check_reference(key, self._clip_of(voice_id))
        seconds = server_errors.check_recording(filename, data, self.limits)
        self._switch(key)
        audio = media.tone(seconds, media.kind(fmt), pitch=330.0)
        return Speech(audio, model=key, voice=voice_id or "builtin", seconds=round(seconds, 3))

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
        model: str | None = None,
        language: str | None = None,
    ) -> JobBody:
        sent = {"text": text, "pdf": pdf, "title": title, "voice": voice, "pages": pages}
        self._enter("create_job", **sent, password=password, params=params, model=model,
                    language=language)  # fmt: skip
        if (text is None) == (pdf is None):
            raise server_errors.invalid_request(
                "Send exactly one of 'file' (a document) or 'text'."
            )
        key = self.models.key_of(model, self.engine)
        voice_id = self._resolve_voice(voice, self._can_clone(key))
        ready = self.models.prepare(
            self.engine, model, text or "", language, params or {}, self._clip_of(voice_id)
        )
        kept = {**fake_jobs.PARAMS, **(params or {}), "language": ready.language,
                "model": ready.key}  # fmt: skip
        if ready.cfg_zeroed:
            kept["cfg_weight"] = 0.0
        voice_id = voice_id or "builtin"
        job = (fake_jobs.text_job(text, title, voice_id, kept) if text is not None
               else fake_jobs.pdf_job(*pdf, pages, password, title, voice_id, kept))  # fmt: skip
        job["paused"] = self.paused_all  # a job made while all are paused waits too
        self.records[job["id"]] = job
        return self._public(job["id"])

    def jobs(self) -> JobSummaries:
        self._enter("jobs")
        return self._listed()["jobs"]

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
            **self.models.status(self.engine),
        }

    def _switch(self, key: str) -> None:
        """The model `key` loaded, as the server's next call makes it (409 with switching off)."""
        if self.models.switch(self.engine, key):
            self.engine = "piper" if key == "piper" else "chatterbox"
            self.can_clone = self.models.of(key).can_clone
        self.state, self.model_loaded = "ready", True

    def _can_clone(self, key: str) -> bool:
        loaded = key == self.models.loaded_key(self.engine)
        return self.can_clone if loaded else self.models.of(key).can_clone

    def _job(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.records:
            raise server_errors.job_not_found()
        self._run_order()  # every job's queue_position as of now
        return self.records[job_id]

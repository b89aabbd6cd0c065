"""SceneNarrator: speaks one claimed scene through the ModelManager, stores its audio and its page
image, and records the outcome through the store's transitions.

Each take is one `manager.call`, so jobs and interactive /tts requests interleave scene by scene
on the model's FIFO queue; backend.jobs.takes decides when to re-take and what to keep. A scene
the server is stopping under goes back to pending (resumable), never to failed; one whose engine
process died under it (EngineFault) goes back to pending once, and fails with the reason the
second time.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.core.errors import AppError, EngineFault, VoiceNotFound
from backend.core.settings import Settings
from backend.core.speech import Audio, Capabilities, SynthesisParams
from backend.engines.base import Engine
from backend.engines.manager import ModelManager
from backend.jobs import files
from backend.jobs.marks import scene_marks
from backend.jobs.pdf import render_region
from backend.jobs.store import JobStore
from backend.jobs.takes import Take, TakeJudge
from backend.speaking.prepare import prepare
from backend.voices.resolve import Voice, stored_voice
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)


class SceneNarrator:
    """Used by the job runner's one synthesis thread only (its source cache is not locked)."""

    def __init__(
        self,
        store: JobStore,
        manager: ModelManager,
        voices: VoiceStore,
        settings: Settings,
        judge: TakeJudge,
        stopping: threading.Event,
    ):
        self.store = store
        self.manager = manager
        self.voices = voices
        self.settings = settings
        self.judge = judge
        self.stopping = stopping
        self._source_cache: tuple[str | None, bytes] = (None, b"")
        self._faulted: set[tuple[str, int]] = set()  # scenes requeued once after an engine fault

    def job_dir(self, job_id: str) -> Path:
        return self.settings.jobs_dir / job_id

    def speak(self, job: dict[str, Any], scene: dict[str, Any]) -> None:
        job_id, index = job["id"], scene["idx"]
        try:
            ref = self._voice_ref(job["voice"])
            take, takes, engine_seconds, spoken = self._takes(scene["text"], ref, job["params"])
            audio = take.audio
            marks = scene_marks(spoken, audio, take.heard)
            path = self.job_dir(job_id) / "scenes" / _file_name(scene, "wav")
            files.write_wav(path, audio.samples, audio.sample_rate)
            if self._orphaned(job_id):
                return
            self.store.set_scene_marks(job_id, index, marks)  # before: completed means timed
            self.store.complete_scene(
                job_id,
                index,
                str(path),
                audio.seconds,
                engine_seconds,
                self.judge.quality(take, takes),
                speaker_similarity=take.similarity,
            )
        except Exception as exc:
            self._settle_failed(job_id, index, exc)
            return
        self._render_image(job, scene)

    def _settle_failed(self, job_id: str, index: int, exc: Exception) -> None:
        """A take that did not finish: back to pending when the server is stopping (a queued
        call the manager dropped at shutdown), else failed with its reason."""
        if self.stopping.is_set():
            log.info("Scene %s of job %s stays pending: the server is stopping", index, job_id)
            with contextlib.suppress(AppError):
                self.store.requeue_scene(job_id, index)
            return
        if isinstance(exc, EngineFault) and (job_id, index) not in self._faulted:
            # The engine's process died under this scene: once, it goes back to pending and
            # the next take starts a fresh host; a second fault fails it with the reason.
            self._faulted.add((job_id, index))
            log.warning("Scene %s of job %s goes back to pending: %s", index, job_id, exc.message)
            with contextlib.suppress(AppError):
                self.store.requeue_scene(job_id, index)
            return
        if isinstance(exc, AppError):
            code, message = exc.code, exc.message
        elif isinstance(exc, TimeoutError):
            limit = self.settings.scene_timeout_seconds
            log.error("Scene %s of job %s ran past %g s; the model restarts", index, job_id, limit)
            code = "scene_timeout"
            message = (
                f"Speaking this scene took longer than {limit:g} s, so it was stopped and the "
                "model restarted. Retry the job; if it happens again, raise "
                "CHATTERBOX_SCENE_TIMEOUT_SECONDS or shorten the text."
            )
        else:
            log.error("Scene %s of job %s failed", index, job_id, exc_info=exc)
            code, message = "synthesis_failed", str(exc)[:200]
        with contextlib.suppress(AppError):  # deleted meanwhile: nothing left to record
            self.store.fail_scene(job_id, index, code, message)

    def _orphaned(self, job_id: str) -> bool:
        """The job was deleted while its file was being made: take the folder away again."""
        return files.remove_if_orphan(self.job_dir(job_id), lambda: self.store.exists(job_id))

    def _takes(
        self, text: str, ref: Voice, job_params: dict[str, Any]
    ) -> tuple[Take, int, float, str]:
        """Speak the scene; while the latest take fails a check (Whisper hears too many wrong
        words, or it does not sound like the voice), re-take it with a new seed, up to
        quality_retakes times (none once the server is stopping). Returns the best take
        (backend.jobs.takes), how many takes were made, the seconds they took on the model
        thread, and the text as spoken (tags removed, numbers spelt out)."""
        model = job_params.get("model")  # the job's model (older jobs: the loaded one)
        ready = prepare(self.manager, text, SynthesisParams.of(job_params), model, strict=False)
        text, params = ready.text, ready.params
        engine_seconds = 0.0
        kept: Take | None = None
        for number in range(1, self.judge.max_takes + 1):
            if number > 1:
                params = replace(params, seed=random.randrange(2**32))
            audio, seconds, similarity = self.manager.call(
                lambda engine, p=params: _take(engine, text, ref, p, self.judge.wants_similarity),
                timeout=self.settings.scene_timeout_seconds,
                model=ready.model,
            )
            engine_seconds += seconds  # synthesis on the model thread, not the queue or the check
            take = self.judge.judge(audio, text, number, similarity)
            if self._converts(ready.caps, take):
                take, seconds = self._converted(take, ref, ready.model)
                engine_seconds += seconds
            kept = self.judge.better(kept, take)
            if self.judge.passes(take) or self.stopping.is_set():
                break
        assert kept is not None
        return kept, number, engine_seconds, text

    def _converts(self, caps: Capabilities, take: Take) -> bool:
        """Whether to re-voice this take instead of re-taking it (speaker_repair=convert)."""
        return (
            self.settings.speaker_repair == "convert"
            and caps.can_convert_voice
            and self.judge.only_the_voice_fails(take)
        )

    def _converted(self, take: Take, ref: Voice, model: str) -> tuple[Take, float]:
        """The take re-voiced into the job's voice, judged again (its words are unchanged)."""

        def convert(engine: Engine) -> tuple[Audio, float, float | None]:
            handle = engine.prepare_voice(ref)
            started = time.perf_counter()
            audio = engine.convert_voice(take.audio, handle)
            seconds = time.perf_counter() - started
            return audio, seconds, engine.speaker_similarity(audio, handle)

        audio, seconds, similarity = self.manager.call(
            convert, timeout=self.settings.scene_timeout_seconds, model=model
        )
        if audio.marks is None and take.audio.marks is not None:  # same words, same timing
            audio = replace(audio, marks=take.audio.marks)
        converted = replace(take, audio=audio, similarity=similarity, converted=True)
        log.info("Re-voiced take %d: similarity %s -> %s", take.number, take.similarity, similarity)
        return converted, seconds

    def _voice_ref(self, voice: str | None) -> Voice:
        """The voice the job recorded: built-in (None), an engine voice or a library clip."""
        try:
            return stored_voice(voice, self.voices, self.manager.capabilities)
        except AppError:
            raise VoiceNotFound(f"The job's voice '{voice}' was deleted.") from None

    def _render_image(self, job: dict[str, Any], scene: dict[str, Any]) -> None:
        job_id, index = job["id"], scene["idx"]
        try:
            # Scene images are a PDF's: a reflowable book's laid-out pages are no picture of it.
            reflowable = (job.get("source_format") or "pdf") != "pdf"
            if job["source_kind"] != "pdf" or scene["page"] is None or reflowable:
                self.store.set_scene_image(job_id, index, "completed")
                return
            png = render_region(
                self._source(job),
                None,
                scene["page"],
                tuple(scene["bbox"]) if scene["bbox"] else None,
            )
            path = self.job_dir(job_id) / "images" / _file_name(scene, "png")
            files.write_bytes(path, png)
            if not self._orphaned(job_id):
                self.store.set_scene_image(job_id, index, "completed", str(path))
        except Exception as exc:  # an image is a nicety: the narration goes on without it
            reason = exc.message if isinstance(exc, AppError) else str(exc) or type(exc).__name__
            log.warning("No image for scene %s of job %s: %s", index, job_id, reason)
            with contextlib.suppress(AppError):
                self.store.set_scene_image(job_id, index, "failed", error=reason[:500])

    def _source(self, job: dict[str, Any]) -> bytes:
        """The job's PDF, read once for all its scene images."""
        if self._source_cache[0] != job["id"]:
            self._source_cache = (job["id"], Path(job["source_path"]).read_bytes())
        return self._source_cache[1]


def _file_name(scene: dict[str, Any], suffix: str) -> str:
    """Index plus a digest of the text: a re-split renumbers scenes, and a new scene must never
    overwrite the file of a completed one that used to have its number."""
    digest = zlib.crc32(scene["text"].encode()) & 0xFFFFFFFF
    return f"{scene['idx']:05d}-{digest:08x}.{suffix}"


def _take(
    engine: Engine, text: str, ref: Voice, params: SynthesisParams, similarity: bool
) -> tuple[Audio, float, float | None]:
    """One take on the model thread: the audio, its synthesis seconds, and (when asked) how much
    it sounds like the voice. One call, so the voice handle is the same and nothing interleaves."""
    handle = engine.prepare_voice(ref)
    started = time.perf_counter()
    audio = engine.synthesize(text, handle, params)
    seconds = time.perf_counter() - started
    return audio, seconds, engine.speaker_similarity(audio, handle) if similarity else None

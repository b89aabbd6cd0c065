"""SceneNarrator: speaks one scene through the ModelManager (its first take, or a re-take asked
for), keeps every take (backend.jobs.store_takes), stores its page image, and records the outcome
through the store's transitions.

Each take is one `manager.call`, so jobs and interactive /tts requests interleave scene by scene
on the model's FIFO queue. A scene is completed (playable) as soon as its first take is written;
its checks (backend.jobs.takes) run off the critical path: the speaker check's score comes with
the take, Whisper hears it on the check thread (backend.jobs.checking) while the next scene is
synthesised. A failing check queues a re-take ('check'), which is chosen only if it ranks better.
A scene the server is stopping under goes back to pending (resumable), never to failed; one
whose engine process died under it (EngineFault) goes back to pending once, and fails with the
reason the second time.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.core.errors import AppError, EngineFault, VoiceNotFound
from backend.core.settings import Settings
from backend.core.speech import Audio, Capabilities, SynthesisParams
from backend.engines.base import Engine
from backend.engines.manager import ModelManager
from backend.jobs import files
from backend.jobs.checking import CheckItem, SceneChecks
from backend.jobs.lexicon import Lexicon
from backend.jobs.marks import scene_marks
from backend.jobs.metrics import LOCAL, JobMetrics
from backend.jobs.pdf import render_region
from backend.jobs.store import JobStore
from backend.jobs.store_takes import TakeStore
from backend.jobs.takes import Take, TakeJudge, scored
from backend.speaking.prepare import Prepared, prepare
from backend.speaking.take import one_take
from backend.voices.resolve import Voice, stored_voice
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)


class SceneNarrator:
    """Used by the job runner's one synthesis thread, except `settle`, which the check thread
    calls too, and `keep_remote`, which the worker routes call."""

    def __init__(
        self,
        store: JobStore,
        takes: TakeStore,
        manager: ModelManager,
        voices: VoiceStore,
        settings: Settings,
        judge: TakeJudge,
        stopping: threading.Event,
        chosen: Callable[[str], None] = lambda job_id: None,
    ):
        self.store = store
        self.takes = takes
        self.manager = manager
        self.voices = voices
        self.settings = settings
        self.judge = judge
        self.stopping = stopping
        self.checks: SceneChecks | None = None  # set by the runner when Whisper checks
        self.metrics: JobMetrics | None = None  # set by the runner: /metrics counts scenes
        self._chosen = chosen  # told when a take other than a first one becomes the scene's
        self.lexicon = Lexicon(store.path)  # read per scene, so an entry applies from the next
        self._source_cache: tuple[str | None, bytes] = (None, b"")
        self._source_lock = threading.Lock()  # scene images: the synthesis thread and worker routes
        self._faulted: set[tuple[str, int]] = set()  # scenes requeued once after an engine fault

    def job_dir(self, job_id: str) -> Path:
        return self.settings.jobs_dir / job_id

    def speak(self, job: dict[str, Any], scene: dict[str, Any]) -> None:
        """The first take of a claimed (processing) scene; it completes the scene."""
        job_id, index = job["id"], scene["idx"]
        try:
            self._make(job, scene, "first")
        except Exception as exc:
            self._settle_failed(job_id, index, exc)
            return
        self.render_image(job, scene)

    def retake(self, job: dict[str, Any], request: dict[str, Any]) -> None:
        """A queued re-take of a scene that has audio. The request is dropped once its take is
        stored (or the take failed for good); a server stopping keeps it for the next start."""
        job_id, index, reason = job["id"], request["idx"], request["reason"]
        try:
            self._make(job, self.store.get_scene(job_id, index), reason, request["id"])
            return
        except Exception as exc:
            if self.stopping.is_set():
                return
            if isinstance(exc, AppError) and not self.store.exists(job_id):
                return
            log.error("A re-take of scene %s of job %s failed", index, job_id, exc_info=exc)
            if reason == "check":
                with contextlib.suppress(AppError):
                    self.takes.set_check(job_id, index, "failed")
        with contextlib.suppress(AppError):
            self.takes.drop_request(request["id"])

    def _make(
        self, job: dict[str, Any], scene: dict[str, Any], reason: str, request: int | None = None
    ) -> None:
        """One take of the scene, stored and (unless made because a check failed) chosen."""
        ref, ready = self.ready(job, scene)
        synthesis = ready.params
        if reason == "check":  # a new seed: the same one would say it the same way
            synthesis = replace(synthesis, seed=random.randrange(2**32))
        audio, engine_seconds, similarity = self.manager.call(
            lambda engine: one_take(
                engine, ready.text, ref, synthesis, self.judge.wants_similarity
            ),
            timeout=self.settings.scene_timeout_seconds,
            model=ready.model,
        )
        take = self.judge.first_look(audio, 0, similarity)
        if self._converts(ready.caps, take):  # the score came with the take: repair it now
            take, seconds = self._converted(take, ref, ready.model)
            engine_seconds += seconds
        quality: dict[str, Any] = {"repair": "voice_conversion"} if take.converted else {}
        if reason == "check":
            quality["seed"] = synthesis.seed
        # A first take's name is the scene's own: spoken again after a crash between its file and
        # its row, it overwrites that file instead of leaving it behind. A re-take's is new.
        token = "" if reason == "first" else uuid.uuid4().hex[:8]
        self._keep(job, scene, reason, ready.text, take, engine_seconds, quality, token, request)

    def keep_remote(
        self,
        job: dict[str, Any],
        scene: dict[str, Any],
        spoken: str,
        audio: Audio,
        engine_seconds: float,
        similarity: float | None,
        token: str,
        guard: Callable[[sqlite3.Connection], None],
        worker: str,
    ) -> int | None:
        """The first take of a scene a worker spoke (backend.jobs.dispatch), stored as a local
        one is, in a file of its own (`token`), under `guard` (the worker's lease, consumed in the
        take's commit: LeaseLost leaves no file and no row). None when the job was deleted. Its
        image is the caller's to draw (`render_image`), off the worker's request."""
        take = self.judge.first_look(audio, 0, similarity)
        return self._keep(
            job, scene, "first", spoken, take, engine_seconds, {}, token, None, guard, worker
        )

    def _keep(
        self,
        job: dict[str, Any],
        scene: dict[str, Any],
        reason: str,
        spoken: str,
        take: Take,
        engine_seconds: float,
        quality: dict[str, Any],
        token: str,
        request: int | None = None,
        guard: Callable[[sqlite3.Connection], None] | None = None,
        worker: str = LOCAL,
    ) -> int | None:
        """Write the take's file and store it (chosen unless made because a check failed); its
        checks follow off the path. The take's number, or None when the job went meanwhile."""
        job_id, index = job["id"], scene["idx"]
        path = self.job_dir(job_id) / "scenes" / _file_name(scene, "wav", token)
        files.write_wav(path, take.audio.samples, take.audio.sample_rate)
        if self._orphaned(job_id):
            return None
        record = {
            "reason": reason,
            "text": scene["text"],
            "spoken_text": spoken,
            "params": scene["params"] or {},
            "audio_path": str(path),
            "duration_seconds": take.audio.seconds,
            "engine_seconds": engine_seconds,
            "similarity": take.similarity,
            "quality": quality or None,
            "marks": scene_marks(spoken, take.audio, None, scene["text"]),  # words: later
        }
        choose = reason != "check"
        whisper = self.checks is not None
        check = ("checking" if choose else "retaking") if whisper else None
        try:
            number, removed = self.takes.add_take(
                job_id, index, record, choose, check, request, guard
            )
        except AppError:  # the lease was lost, or the scene went: this file is nobody's
            path.unlink(missing_ok=True)
            raise
        for old in removed:
            Path(old).unlink(missing_ok=True)
        if reason == "first" and self.metrics is not None:
            self.metrics.scene_done(worker, engine_seconds)
        if choose and reason != "first":
            self._chosen(job_id)
        take = replace(take, number=number)
        if self.checks is not None:
            self.checks.submit(CheckItem(job_id, index, take, spoken))
        elif self.judge.checks:
            self.settle(CheckItem(job_id, index, take, spoken), take)
        return number

    def ready(self, job: dict[str, Any], scene: dict[str, Any]) -> tuple[Voice, Prepared]:
        """The scene's voice and its text made ready to speak (a worker is given both)."""
        params = {**job["params"], **(scene["params"] or {})}  # the scene's own settings win
        return self.voice_of(job), self._prepare(job["id"], scene["text"], params)

    def _prepare(self, job_id: str, text: str, params: dict[str, Any]) -> Prepared:
        """The one place a scene's text is made ready to speak (tags, numbers; the lexicon)."""
        model = params.get("model")  # the job's model (older jobs: the loaded one)
        lexicon = self.lexicon.lexicon_for(job_id)
        return prepare(
            self.manager, text, SynthesisParams.of(params), model, strict=False, lexicon=lexicon
        )

    def settle(self, item: CheckItem, take: Take) -> None:
        """A take's checks are known: record them; a re-take that ranks better than the chosen
        take replaces it; while the chosen one fails a check and the scene has re-takes left
        (quality_retakes a cycle: from the take a person or the text asked for), queue one."""
        job_id, index = item.job_id, item.idx
        try:
            if take.heard is not None:
                shown = self.takes.get_take(job_id, index, take.number)["text"]
                marks = scene_marks(item.spoken, take.audio, take.heard, shown)
                self.takes.record_check(job_id, index, take.number, take.wer, marks)
            scene = self.store.get_scene(job_id, index)
            kept = self.takes.list_takes(job_id, index)
            rows = {row["number"]: row for row in kept}
            chosen = _scored(rows[scene["take"]]) if scene["take"] in rows else take
            if scene["take"] == take.number:
                chosen = take
            elif self.judge.better(chosen, take) is take:
                self.takes.choose(job_id, index, take.number)
                chosen = take
                self._chosen(job_id)
            cycle = _cycle(kept)
            status = "passed"
            if not self.judge.passes(chosen):
                status = "failed"
                if cycle < self.judge.max_takes and not self.stopping.is_set():
                    status = "retaking"
                    self.takes.add_request(job_id, index, "check")
            quality = self.judge.quality(chosen, cycle)
            seed = (rows[chosen.number]["quality"] or {}).get("seed")
            self.takes.set_quality(job_id, index, chosen.number, quality, seed)
            self.takes.set_check(job_id, index, status)
        except AppError as exc:  # the job or the scene was deleted meanwhile
            log.info("No check recorded for scene %s of job %s: %s", index, job_id, exc.message)

    def check_failed(self, item: CheckItem, exc: Exception) -> None:
        with contextlib.suppress(AppError):
            self.takes.set_check(item.job_id, item.idx, "failed")

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

    def voice_of(self, job: dict[str, Any]) -> Voice:
        """The voice the job recorded: built-in (None), an engine voice or a library clip."""
        voice = job["voice"]
        try:
            return stored_voice(voice, self.voices, self.manager.capabilities)
        except AppError:
            raise VoiceNotFound(f"The job's voice '{voice}' was deleted.") from None

    def render_image(self, job: dict[str, Any], scene: dict[str, Any]) -> None:
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
        with self._source_lock:
            if self._source_cache[0] != job["id"]:
                self._source_cache = (job["id"], Path(job["source_path"]).read_bytes())
            return self._source_cache[1]


def _file_name(scene: dict[str, Any], suffix: str, take: str = "") -> str:
    """Index plus a digest of the text (and, for a take's audio, a token of its own): a re-split
    renumbers scenes, and a new scene or take must never overwrite the file of another one."""
    digest = zlib.crc32(scene["text"].encode()) & 0xFFFFFFFF
    return f"{scene['idx']:05d}-{digest:08x}{f'-{take}' if take else ''}.{suffix}"


def _scored(row: dict[str, Any]) -> Take:
    """A stored take, ranked by its scores."""
    converted = (row["quality"] or {}).get("repair") == "voice_conversion"
    return scored(row["number"], row["wer"], row["similarity"], converted)


def _cycle(takes: list[dict[str, Any]]) -> int:
    """How many takes the current check cycle has made: the latest take a person, the text or
    the first synthesis asked for, and the check re-takes after it."""
    count = 0
    for row in reversed(takes):
        count += 1
        if row["reason"] != "check":
            break
    return count

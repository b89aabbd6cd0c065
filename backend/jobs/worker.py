"""JobRunner: turns jobs into narration — an extraction thread per job feeds scenes, one synthesis
thread speaks them through the ModelManager, and the final file is assembled at the end.

Each take of a scene is one `manager.call`, so jobs and interactive /tts requests interleave scene
by scene on the model's FIFO queue; backend.jobs.takes decides when to re-take and what to keep.
Scene 1 is spoken as soon as the first page is extracted. State lives in the JobStore: a restart
resumes from the first unfinished scene and never redoes a completed one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any

import soundfile as sf

from backend.core.errors import AppError, PdfTooLarge, VoiceNotFound
from backend.core.settings import Settings
from backend.engines.base import Audio, Engine, SynthesisParams, VoiceRef
from backend.engines.manager import ModelManager
from backend.jobs.assembly import assemble
from backend.jobs.pdf import PdfLimits, extract_pages, render_region
from backend.jobs.quality import QualityChecker, asr_installed
from backend.jobs.scenes import scenes_from_page, scenes_from_text
from backend.jobs.store import JobStore
from backend.jobs.takes import Take, TakeJudge
from backend.voices.resolve import BUILTIN
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)


class JobRunner:
    """Owns the job threads. Thread-safe; `start()` once, `stop()` once."""

    def __init__(
        self, store: JobStore, manager: ModelManager, voices: VoiceStore, settings: Settings
    ):
        self.store = store
        self.manager = manager
        self.voices = voices
        self.settings = settings
        self.jobs_dir = settings.jobs_dir
        self._queue: deque[str] = deque()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._extractors: dict[str, threading.Thread] = {}
        self._extract_errors: dict[str, AppError] = {}
        self._source_cache: tuple[str | None, bytes] = (None, b"")
        self._thread = threading.Thread(target=self._run, name="job-worker", daemon=True)
        check = settings.quality_check
        enabled = check == "on" or (check == "auto" and asr_installed())
        self.judge = TakeJudge(settings, QualityChecker() if enabled else None)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        for job_id in self.store.recover():
            job = self.store.get_job(job_id)
            if job["source_kind"] == "pdf" and job["extraction_status"] != "completed":
                self._start_extraction(job_id, resume=True)
            self._enqueue(job_id)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the scene in progress; unfinished jobs stay resumable."""
        self._stopping.set()
        self._notify()
        self._thread.join(timeout)
        for thread in list(self._extractors.values()):
            thread.join(timeout)

    # ---- commands -------------------------------------------------------------------------

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def submit_text(self, job_id: str, text: str) -> None:
        scenes = scenes_from_text(text, self.manager.engine.capabilities.max_chars)
        self.store.add_scenes(job_id, scenes)
        self.store.set_extraction(job_id, "completed")
        self._enqueue(job_id)

    def submit_pdf(self, job_id: str) -> None:
        self._start_extraction(job_id, resume=False)
        self._enqueue(job_id)

    def extraction_error(self, job_id: str) -> AppError | None:
        return self._extract_errors.get(job_id)

    def cancel(self, job_id: str) -> str:
        status = self.store.cancel_job(job_id)
        self._notify()
        return status

    def retry(self, job_id: str) -> int:
        count = self.store.retry_job(job_id)
        self._enqueue(job_id)
        return count

    def delete(self, job_id: str) -> None:
        self.store.cancel_job(job_id)
        self.store.delete_job(job_id)
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        self._notify()

    # ---- extraction -----------------------------------------------------------------------

    def _start_extraction(self, job_id: str, resume: bool) -> None:
        thread = threading.Thread(
            target=self._extract, args=(job_id, resume), name=f"extract-{job_id[:8]}", daemon=True
        )
        self._extractors[job_id] = thread
        thread.start()

    def _extract(self, job_id: str, resume: bool) -> None:
        job = self.store.get_job(job_id, scenes=False)
        done = self.store.pages_done(job_id) if resume else 0
        limits = PdfLimits(
            max_pages=self.settings.max_pdf_pages,
            max_chars=self.settings.max_job_chars,
            timeout_seconds=self.settings.pdf_timeout_seconds,
            first_page_timeout=self.settings.first_page_timeout_seconds,
        )
        data = Path(job["source_path"]).read_bytes()
        max_chars = self.manager.engine.capabilities.max_chars
        self.store.set_extraction(job_id, "processing")
        chapters: list[dict[str, Any]] = list(job.get("chapters") or [])
        try:
            with contextlib.closing(extract_pages(data, None, job["pages"], limits)) as pages_iter:
                count = self._store_pages(job_id, pages_iter, done, chapters, max_chars)
            self.store.set_chapters(job_id, chapters)
            self.store.set_extraction(job_id, "completed", total_pages=count)
        except _Stopped:
            return
        except AppError as exc:
            self._extract_errors[job_id] = exc
            self.store.set_extraction(
                job_id, "failed", error_code=exc.code, error_message=exc.message
            )
            if isinstance(exc, PdfTooLarge):
                # Past a limit the job is refused, not narrated up to it: the limits bound the
                # work one upload can cause. (A damaged later page still lets the rest play.)
                self.store.set_job_status(job_id, "failed", exc.code, exc.message)
        except Exception as exc:  # the store or the disk failed under us: record, keep serving
            log.exception("Extraction of job %s failed", job_id)
            self.store.set_extraction(
                job_id, "failed", error_code="pdf_unreadable", error_message=str(exc)[:200]
            )
        finally:
            self._extractors.pop(job_id, None)
            self._notify()

    def _store_pages(
        self, job_id: str, pages: Any, done: int, chapters: list[dict[str, Any]], max_chars: int
    ) -> int:
        """Store each page's scenes as it arrives; returns how many pages were read."""
        count = 0
        for page in pages:
            count += 1
            if self._stopping.is_set() or self._cancelled(job_id):
                raise _Stopped()
            if page.number <= done:  # resumed: this page's scenes are already stored
                continue
            if page.chapter:
                chapters.append({"title": page.chapter, "page": page.number})
            scenes = scenes_from_page(page, max_chars)
            if scenes:
                self.store.add_scenes(job_id, scenes)
                self._notify()
        return count

    # ---- synthesis loop -------------------------------------------------------------------

    def _enqueue(self, job_id: str) -> None:
        with self._wake:
            if job_id not in self._queue:
                self._queue.append(job_id)
            self._wake.notify_all()

    def _notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _cancelled(self, job_id: str) -> bool:
        try:
            return self.store.get_job(job_id, scenes=False)["status"] == "cancelled"
        except AppError:
            return True  # deleted

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._step():
                with self._wake:
                    self._wake.wait(timeout=0.5)

    def _step(self) -> bool:
        """Speak one scene of the first job that has one; False when there was nothing to do."""
        with self._wake:
            queue = list(self._queue)
        for job_id in queue:
            try:
                scene = self.store.claim_next_scene(job_id)
                if scene is not None:
                    self._speak(job_id, scene)
                    return True
                if job_id not in self._extractors:
                    self._finish(job_id)
            except AppError as exc:  # the job was deleted while we looked at it
                log.info("Dropping job %s: %s", job_id, exc.message)
                self._drop(job_id)
        return False

    def _drop(self, job_id: str) -> None:
        with self._wake, contextlib.suppress(ValueError):
            self._queue.remove(job_id)

    def _speak(self, job_id: str, scene: dict[str, Any]) -> None:
        job = self.store.get_job(job_id, scenes=False)
        index = scene["idx"]
        try:
            ref = self._voice_ref(job["voice"])
            take, takes, engine_seconds = self._takes(scene["text"], ref, job["params"])
            audio = take.audio
            path = self.job_dir(job_id) / "scenes" / f"{index:05d}.wav"
            _write_atomic_wav(path, audio.samples, audio.sample_rate)
            self.store.complete_scene(
                job_id,
                index,
                str(path),
                audio.seconds,
                engine_seconds,
                self.judge.quality(take, takes),
                speaker_similarity=take.similarity,
            )
        except AppError as exc:
            self.store.fail_scene(job_id, index, exc.code, exc.message)
            return
        except TimeoutError:
            limit = self.settings.scene_timeout_seconds
            log.error("Scene %s of job %s ran past %g s; the model restarts", index, job_id, limit)
            message = (
                f"Speaking this scene took longer than {limit:g} s, so it was stopped and the "
                "model restarted. Retry the job; if it happens again, raise "
                "CHATTERBOX_SCENE_TIMEOUT_SECONDS or shorten the text."
            )
            self.store.fail_scene(job_id, index, "scene_timeout", message)
            return
        except Exception as exc:
            log.exception("Scene %s of job %s failed", index, job_id)
            self.store.fail_scene(job_id, index, "synthesis_failed", str(exc)[:200])
            return
        self._render_image(job, scene)

    def _takes(
        self, text: str, ref: VoiceRef | None, job_params: dict[str, Any]
    ) -> tuple[Take, int, float]:
        """Speak the scene; while the latest take fails a check (Whisper hears too many wrong
        words, or it does not sound like the voice), re-take it with a new seed, up to
        quality_retakes times. Returns the best take (backend.jobs.takes), how many takes were
        made, and the seconds they took on the model thread."""
        params = SynthesisParams(**job_params)
        engine_seconds = 0.0
        kept: Take | None = None
        for number in range(1, self.judge.max_takes + 1):
            if number > 1:
                params = replace(params, seed=random.randrange(2**32))
            audio, seconds, similarity = self.manager.call(
                lambda engine, p=params: _take(engine, text, ref, p, self.judge.wants_similarity),
                timeout=self.settings.scene_timeout_seconds,
            )
            engine_seconds += seconds  # synthesis on the model thread, not the queue or the check
            take = self.judge.judge(audio, text, number, similarity)
            kept = self.judge.better(kept, take)
            if self.judge.passes(take):
                break
        assert kept is not None
        return kept, number, engine_seconds

    def _voice_ref(self, voice: str | None) -> VoiceRef | None:
        if voice in (None, BUILTIN):
            return None
        try:
            return self.voices.ref(voice)
        except AppError:
            raise VoiceNotFound(f"The job's voice '{voice}' was deleted.") from None

    def _render_image(self, job: dict[str, Any], scene: dict[str, Any]) -> None:
        if job["source_kind"] != "pdf" or scene["page"] is None:
            self.store.set_scene_image(job["id"], scene["idx"], "completed")
            return
        try:
            png = render_region(
                self._source(job),
                None,
                scene["page"],
                tuple(scene["bbox"]) if scene["bbox"] else None,
            )
            path = self.job_dir(job["id"]) / "images" / f"{scene['idx']:05d}.png"
            _write_atomic(path, png)
            self.store.set_scene_image(job["id"], scene["idx"], "completed", str(path))
        except Exception as exc:  # an image is a nicety: the narration goes on without it
            log.warning("No image for scene %s of job %s: %s", scene["idx"], job["id"], exc)
            self.store.set_scene_image(job["id"], scene["idx"], "failed")

    def _source(self, job: dict[str, Any]) -> bytes:
        """The job's PDF, read once for all its scene images (only the synthesis thread calls)."""
        if self._source_cache[0] != job["id"]:
            self._source_cache = (job["id"], Path(job["source_path"]).read_bytes())
        return self._source_cache[1]

    def _finish(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        progress = job["progress"]
        ready = (
            job["status"] != "cancelled"
            and job["extraction_status"] == "completed"
            and progress["total"] > 0
            and progress["completed"] == progress["total"]
            and not job["final_audio_path"]
        )
        if ready:
            path = self.job_dir(job_id) / "narration.wav"
            seconds, chapters = assemble(
                job["scenes"], path, self.settings.crossfade_ms, self.settings.pause_ms
            )
            log.info("Job %s assembled: %.1f s of narration", job_id, seconds)
            self.store.set_chapters(job_id, chapters)
            self.store.set_final_audio(job_id, str(path))
        finished = self.store.finish_job_if_done(job_id)
        if finished is not None or job["status"] in ("cancelled", "failed", "completed"):
            self._drop(job_id)


def _take(
    engine: Engine, text: str, ref: VoiceRef | None, params: SynthesisParams, similarity: bool
) -> tuple[Audio, float, float | None]:
    """One take on the model thread: the audio, its synthesis seconds, and (when asked) how much
    it sounds like the voice. One call, so the voice handle is the same and nothing interleaves."""
    handle = engine.prepare_voice(ref)
    started = time.perf_counter()
    audio = engine.synthesize(text, handle, params)
    seconds = time.perf_counter() - started
    return audio, seconds, engine.speaker_similarity(audio, handle) if similarity else None


class _Stopped(Exception):
    """Extraction stopped because the server is stopping or the job was cancelled."""


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_atomic_wav(path: Path, samples: Any, rate: int) -> None:
    """The file is whole on disk before its row says completed (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        sf.write(handle, samples, rate, subtype="PCM_16", format="WAV")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)

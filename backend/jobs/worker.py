"""JobRunner: turns jobs into narration. An extraction thread per PDF job feeds scenes
(backend.jobs.extraction), one synthesis thread speaks them (backend.jobs.narrator), and the
final file is assembled at the end (backend.jobs.assembly).

Scene 1 is spoken as soon as the first page is extracted. Re-takes asked for (an edit, a
regeneration, a stale scene, a failed check) are queued in SQLite and served before the next new
scene; Whisper checks run on their own thread (backend.jobs.checking) and a job is assembled
only once none is open. Choosing a take re-assembles a finished narration from the scenes' files.
State lives in the JobStore, whose
every status change is a transition of backend.jobs.lifecycle: a restart resumes from the first
unfinished scene and never redoes a completed one. A job records the engine, model, sample rate
and scene length it is split for; resumed under another engine its unfinished scenes are
re-split to the new length, and assembly resamples every scene to the job's rate.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections import deque
from pathlib import Path
from typing import Any

import soundfile as sf

from backend.core.errors import AppError
from backend.core.settings import Settings
from backend.core.speech import Audio
from backend.engines.manager import ModelManager
from backend.jobs import covers, files, lifecycle
from backend.jobs.assembly import assemble
from backend.jobs.checking import CheckItem, SceneChecks
from backend.jobs.dispatch import SceneDispatch
from backend.jobs.extraction import Extractor, PageSource
from backend.jobs.metrics import JobMetrics
from backend.jobs.narrator import SceneNarrator
from backend.jobs.pdf import extract_pages
from backend.jobs.quality import QualityChecker, asr_installed
from backend.jobs.queue import JobQueue
from backend.jobs.scenes import scenes_from_text
from backend.jobs.store import JobStore
from backend.jobs.store_takes import TakeStore
from backend.jobs.take_commands import TakeCommands
from backend.jobs.takes import Take, TakeJudge
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)


class JobRunner(TakeCommands):
    """Owns the job threads. Thread-safe. `start()` once; at shutdown `stop()`, then (after the
    model manager is closed) `close()`, which closes the store last."""

    def __init__(
        self,
        store: JobStore,
        manager: ModelManager,
        voices: VoiceStore,
        settings: Settings,
        pages: PageSource = extract_pages,
        checker: QualityChecker | None = None,
    ):
        self.store = store
        self.manager = manager
        self.voices = voices
        self.settings = settings
        self.jobs_dir = settings.jobs_dir
        self.queue = JobQueue(store.path)  # the order jobs are spoken in, and their pauses
        self._queue: deque[str] = deque()
        self._speaking = threading.Lock()  # held while a claimed scene is spoken
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-worker", daemon=True)
        self._assembling = threading.Lock()  # one assembly at a time: the last reads the latest
        check = settings.quality_check
        enabled = check == "on" or (check == "auto" and asr_installed())
        checker = checker or (QualityChecker() if enabled else None)  # given: a test's stand-in
        judge = TakeJudge(settings, checker)
        self.judge = judge
        self.takes = TakeStore(store.path, settings.max_takes_kept)
        self.narrator = SceneNarrator(
            store, self.takes, manager, voices, settings, judge, self._stopping, self._chosen
        )
        self.checks: SceneChecks | None = None
        if judge.wants_words:
            self.checks = SceneChecks(judge, self._checked, self.narrator.check_failed)
            self.narrator.checks = self.checks
        self.extractor = Extractor(
            store, settings, self._max_chars, self._stopping, self._notify, pages
        )
        self.metrics = JobMetrics(store.path, settings.lease_seconds)
        self.narrator.metrics = self.metrics
        # Workers beyond this process's engine pull scenes in this order (backend.jobs.dispatch).
        self.dispatch = SceneDispatch(
            store, self.narrator, settings, self.metrics, self._order, self._enqueue
        )

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        for job_id in self.store.recover():
            job = self.store.get_job(job_id, scenes=False)
            if job["source_kind"] == "text" and job["extraction_status"] != "completed":
                self.store.fail_job(job_id, *lifecycle.INTERRUPTED)  # stopped before its scenes
                continue
            self._adopt(job_id)
            if job["source_kind"] == "pdf" and job["extraction_status"] == "pending":
                self.extractor.start(job_id)
            self._enqueue(job_id)
        self._recheck()
        for job_id in self.takes.jobs_with_requests():
            self._enqueue(job_id)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every thread to stop after the take in progress and wait for them, at most about
        `timeout` seconds. Unfinished scenes stay pending (resumable)."""
        self._stopping.set()
        self._notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.extractor.join(timeout)
        self.dispatch.stop()
        if self.checks is not None:
            self.checks.stop(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """After `manager.close()` (which lets the running take finish and drops queued calls):
        wait for the threads to record that, then close the store."""
        self.stop(timeout)
        if self._thread.is_alive():
            log.warning("The job worker is still busy after %g s; closing the store", timeout)
        self.dispatch.close()
        self.metrics.close()
        self.takes.close()
        self.queue.close()
        self.narrator.lexicon.close()
        self.store.close()

    # ---- commands -------------------------------------------------------------------------

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def submit_text(self, job_id: str, text: str) -> None:
        """Scenes from an already cleaned text (backend.text.clean.clean_text)."""
        self._record_engine(job_id)
        scenes = scenes_from_text(text, self.manager.capabilities.max_chars)
        self.store.add_scenes(job_id, scenes)
        self.store.set_extraction(job_id, "completed")
        self._enqueue(job_id)

    def submit_pdf(self, job_id: str) -> None:
        self._record_engine(job_id)
        self.extractor.start(job_id)
        self._enqueue(job_id)

    def cancel(self, job_id: str) -> str:
        status = self.store.cancel_job(job_id)
        self._notify()
        return status

    def retry(self, job_id: str) -> int:
        """Failed scenes again; an extraction a cancel stopped starts again after its last page."""
        count = self.store.retry_job(job_id)
        self._adopt(job_id)
        job = self.store.get_job(job_id, scenes=False)
        if job["source_kind"] == "pdf" and job["extraction_status"] == "pending":
            self.extractor.start(job_id)
        self._enqueue(job_id)
        return count

    def delete(self, job_id: str) -> None:
        self.store.cancel_job(job_id)
        self.store.delete_job(job_id)
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        self._notify()

    def wake(self) -> None:
        """Look at the queue again now (a job was resumed or moved)."""
        self._notify()

    def scene_boundary(self) -> None:
        """Return once the scene being spoken, if any, has finished. After a pause committed,
        no scene of a paused job is claimed, so from then on the paused jobs are still."""
        with self._speaking:
            pass

    def _max_chars(self) -> int:
        return self.manager.capabilities.max_chars

    # ---- engine record --------------------------------------------------------------------

    def _engine_now(self) -> tuple[str, str, int, int]:
        engine = self.manager
        info = {}
        with contextlib.suppress(Exception):  # info() is a nicety; the name still identifies
            info = engine.info()
        model = info.get("model") or info.get("voice") or info.get("weights") or engine.name
        return engine.name, str(model), int(engine.sample_rate), engine.capabilities.max_chars

    def _record_engine(self, job_id: str) -> None:
        self.store.record_engine(job_id, *self._engine_now())

    def _adopt(self, job_id: str) -> None:
        """A job split for another engine (or before jobs recorded one) is re-split to this
        engine's scene length; assembly resamples to the job's rate. Then it records this one."""
        job = self.store.get_job(job_id, scenes=False)
        now = self._engine_now()
        if (job["engine"], job["model"], job["sample_rate"], job["max_chars"]) == now:
            return
        if job["max_chars"] != now[3] and self.store.resplit(job_id, now[3]):
            log.info("Job %s re-split for %s (%d characters a scene)", job_id, now[0], now[3])
        rate = job["sample_rate"] or now[2]  # the narration keeps the rate it started at
        self.store.record_engine(job_id, now[0], now[1], rate, now[3])

    # ---- synthesis loop -------------------------------------------------------------------

    def _enqueue(self, job_id: str) -> None:
        with self._wake:
            if job_id not in self._queue:
                self._queue.append(job_id)
            self._wake.notify_all()

    def _order(self) -> list[str]:
        """The unfinished jobs in the order their scenes are spoken (backend.jobs.queue)."""
        with self._wake:
            queue = list(self._queue)
        return self.queue.runnable(queue)

    def _notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._step():
                with self._wake:
                    self._wake.wait(timeout=0.5)

    def _step(self) -> bool:
        """Speak one scene of the first job, in queue order (backend.jobs.queue: highest
        priority, then oldest; paused jobs passed over), that has one; False when there was
        nothing to do. The order is read again after every scene."""
        self.dispatch.expire()  # a worker's lease past its deadline: its scene is pending again
        for job_id in self._order():
            if self._stopping.is_set():
                return False
            try:
                with self._speaking:  # pause-all waits for the scene in progress
                    if self._serve_request(job_id):
                        return True
                    scene = None  # without a local worker, the workers speak every first take
                    if self.settings.local_worker:
                        scene = self.store.claim_next_scene(job_id)  # None for a paused job
                    if scene is not None:
                        self.narrator.speak(self.store.get_job(job_id, scenes=False), scene)
                        return True
                if not self.extractor.running(job_id):
                    self._finish(job_id)
            except AppError as exc:  # the job was deleted while we looked at it
                log.info("Dropping job %s: %s", job_id, exc.message)
                self._drop(job_id)
        return False

    def _assembly_failed(self, job_id: str, exc: Exception) -> None:
        """The narration could not be made: the job was deleted under it (its folder went away),
        the disk refused, or a scene file broke. A deleted job is dropped; a live one fails with
        the reason, its takes kept, so a retry assembles it again."""
        self._drop(job_id)
        if files.remove_if_orphan(self.job_dir(job_id), lambda: self.store.exists(job_id)):
            return
        log.error("Job %s: the narration could not be assembled", job_id, exc_info=exc)
        solution = "Retry the job; if it fails again, the server log names the scene file."
        if isinstance(exc, OSError):
            solution = "Free some disk space in the data folder, then retry the job."
        message = f"The narration could not be written: {exc}."
        self.store.fail_job(job_id, "assembly_failed", message, solution)

    def _drop(self, job_id: str) -> None:
        with self._wake, contextlib.suppress(ValueError):
            self._queue.remove(job_id)

    def _finish(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job["status"] != "cancelled" and self.takes.open_checks(job_id):
            return  # a check or a re-take is still open: the narration waits for it
        progress = job["progress"]
        ready = (
            job["status"] != "cancelled"
            and job["extraction_status"] == "completed"
            and progress["total"] > 0
            and progress["completed"] == progress["total"]
            and not job["final_audio_path"]
        )
        if ready:
            deadline = min(self.settings.first_page_timeout_seconds, covers.BOOK_COVER_SECONDS)
            covers.save_book_cover(self.store, job, deadline)
            with self._assembling:
                if not self._assemble(self.store.get_job(job_id)):
                    return
        finished = self.store.finish_job_if_done(job_id)
        if finished is not None or job["status"] in ("cancelled", "failed", "completed"):
            self._drop(job_id)

    def _assemble(self, job: dict[str, Any]) -> bool:
        """The narration from the scenes' chosen takes, with its chapters and scene starts; False
        when it could not be made (recorded) or the job went away. Under `_assembling`."""
        job_id = job["id"]
        path = self.job_dir(job_id) / "narration.wav"
        try:
            seconds, chapters, starts = assemble(
                job["scenes"],
                path,
                self.settings.crossfade_ms,
                self.settings.pause_ms,
                rate=job["sample_rate"],
                mastering=job["params"].get("mastering", "standard"),
            )
        except Exception as exc:  # the job deleted under it, a full disk, a broken scene file
            self._assembly_failed(job_id, exc)
            return False
        if files.remove_if_orphan(self.job_dir(job_id), lambda: self.store.exists(job_id)):
            self._drop(job_id)
            return False
        log.info("Job %s assembled: %.1f s of narration", job_id, seconds)
        self.store.set_chapters(job_id, chapters)
        self.store.set_scene_starts(job_id, starts)
        self.store.set_final_audio(job_id, str(path))
        return True

    def reassemble(self, job_id: str) -> None:
        """A finished narration made again from the scenes' files (no synthesis), so it, its
        chapters, scene starts and subtitles follow the takes chosen; the cached encodings
        (backend.jobs.outputs) are re-made on their next download. Unfinished jobs are left to
        their own assembly."""
        with self._assembling:
            job = self.store.get_job(job_id)
            if job["status"] == "completed" and job["final_audio_path"]:
                self._assemble(job)

    # ---- takes ----------------------------------------------------------------------------

    def _serve_request(self, job_id: str) -> bool:
        """Make the oldest re-take queued for the job (behind the scene in progress, before the
        next new one); False when none is waiting."""
        request = self.takes.next_request(job_id)
        if request is None:
            return False
        job = self.store.get_job(job_id, scenes=False)
        if job["status"] == "cancelled":
            return False
        self.narrator.retake(job, request)
        return True

    def _chosen(self, job_id: str) -> None:
        """A take other than a scene's first became its own: a finished narration follows."""
        self.reassemble(job_id)
        self._notify()

    def _checked(self, item: CheckItem, take: Take) -> None:
        """On the check thread: a take heard."""
        self.narrator.settle(item, take)
        self._notify()

    def _recheck(self) -> None:
        """After a restart: the checks that were open when the server stopped, heard again."""
        for row in self.takes.unsettled_checks():
            try:
                samples, rate = sf.read(row["audio_path"], dtype="float32", always_2d=False)
            except (OSError, RuntimeError):
                self.takes.set_check(row["job_id"], row["idx"], "failed")
                continue
            converted = (row["quality"] or {}).get("repair") == "voice_conversion"
            take = Take(Audio(samples, rate), row["number"], None, row["similarity"], converted)
            item = CheckItem(row["job_id"], row["idx"], take, row["spoken_text"] or row["text"])
            if self.checks is not None:
                self.checks.submit(item)
            else:
                self.narrator.settle(item, take)

"""The SQLite record of narration jobs and their scenes: states, progress, and restart recovery.

Thread-safety: one JobStore holds one connection (check_same_thread=False) guarded by a lock, so
any thread may call any method and calls within a process are serialised. Every mutation is one
`BEGIN IMMEDIATE` transaction, so claims stay atomic across processes and across several
JobStores on one file as well (WAL, busy_timeout 5 s). Which moves between statuses exist is
backend.jobs.lifecycle's business: every status change here is one of its transitions.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from backend.jobs import lifecycle, queue
from backend.jobs import store_schema as sql

ENDED = lifecycle.ENDED


class JobStore:
    """Jobs and scenes in one SQLite file. Methods return plain dicts with JSON columns decoded;
    a missing job raises JobNotFound, a missing scene SceneNotFound."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sql.Database(self.path)
        self._lock, self._conn = self._db.lock, self._db.conn

    def close(self) -> None:
        self._db.close()

    # ---- jobs -------------------------------------------------------------------------------

    def create_job(
        self,
        title: str,
        source_kind: str,
        source_path: str | Path | None,
        voice: str | None,
        params: dict[str, Any],
        pages: str | None,
    ) -> dict[str, Any]:
        """A pending job; source_path may be None until the upload is saved (`set_source_path`)."""
        sql.check(source_kind, sql.SOURCE_KINDS)
        job_id, stamp = uuid.uuid4().hex, sql.now()
        path = None if source_path is None else str(source_path)
        row = (job_id, title, source_kind, path, voice, sql.dumps(params), pages)
        with self._write() as db:
            db.execute(
                "INSERT INTO jobs (id, title, source_kind, source_path, voice, params, pages,"
                " created_at, updated_at, paused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, stamp, stamp, int(queue.paused_all(db))),  # created paused under pause all
            )
        return self.get_job(job_id)

    def get_job(self, job_id: str, scenes: bool = True) -> dict[str, Any]:
        """The job with `progress` and (unless scenes=False) its `scenes` in order."""
        with self._read() as db:
            job = sql.fetch_job(db, job_id)
            job["progress"] = sql.progress(db, job_id)
            job["queue_position"] = queue.positions(db).get(job_id)
            if not scenes:
                return job
            rows = db.execute(f"{sql.SCENES} WHERE s.job_id = ? ORDER BY s.idx", (job_id,))
            job["scenes"] = [sql.scene_row(row) for row in rows]
        return job

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every job, newest first, with `progress` but no scenes."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC")
            jobs = [sql.job_row(row) for row in rows.fetchall()]
            places = queue.positions(db)
            for job in jobs:
                job["progress"] = sql.progress(db, job["id"])
                job["queue_position"] = places.get(job["id"])
        return jobs

    def delete_job(self, job_id: str) -> dict[str, Any]:
        """Delete the job and (by cascade) its scenes; return what it was, for file clean-up."""
        with self._write() as db:
            job = self.get_job(job_id)
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        return job

    def exists(self, job_id: str) -> bool:
        with self._read() as db:
            return db.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None

    def set_job_status(
        self,
        job_id: str,
        status: str,
        error_code: str | None = None,
        error_message: str | None = None,
        error_solution: str | None = None,
    ) -> None:
        """Set status and error fields; stamp started_at (first processing) or finished_at."""
        with self._write() as db:
            lifecycle.move_job(db, job_id, status, error_code, error_message, error_solution)

    def cancel_job(self, job_id: str) -> str:
        """pending/processing -> cancelled; other statuses stay. Returns the status now.

        A scene being narrated stays 'processing' until the worker completes, fails or requeues
        it (or `recover` runs at the next start).
        """
        with self._write() as db:
            return lifecycle.cancel(db, job_id)

    def retry_job(self, job_id: str) -> int:
        """Failed scenes -> pending, errors cleared; a failed or cancelled job -> pending.

        Completed scenes and completed jobs are never touched. Returns the number requeued.
        """
        with self._write() as db:
            return lifecycle.retry(db, job_id)

    def finish_job_if_done(self, job_id: str) -> str | None:
        """Settle the job once nothing is left to narrate (lifecycle.settle); the new status."""
        with self._write() as db:
            return lifecycle.settle(db, job_id)

    def fail_job(self, job_id: str, code: str, message: str, solution: str) -> None:
        """Fail the job and its open extraction now, with a reason a user can act on."""
        with self._write() as db:
            lifecycle.fail(db, job_id, code, message, solution)

    def record_engine(
        self, job_id: str, engine: str, model: str, sample_rate: int, max_chars: int
    ) -> None:
        """The engine, model, sample rate and scene length the unfinished scenes are split for."""
        with self._write() as db:
            sql.fetch_job(db, job_id)
            lifecycle.record_engine(db, job_id, engine, model, sample_rate, max_chars)

    def resplit(self, job_id: str, max_chars: int) -> bool:
        """Re-split the pending and failed scenes to `max_chars` (lifecycle.resplit); True when
        any scene changed."""
        with self._write() as db:
            return lifecycle.resplit(db, job_id, max_chars)

    def set_source_path(self, job_id: str, path: str | Path) -> None:
        self._update(job_id, source_path=str(path))

    def set_grade(self, job_id: str, grade_level: str | None, reading_grade: float | None) -> None:
        """The school grade asked for (EduSmart's grade_level) and the reading grade measured."""
        self._update(job_id, grade_level=grade_level, reading_grade=reading_grade)

    def set_final_audio(self, job_id: str, path: str | Path) -> None:
        self._update(job_id, final_audio_path=str(path))

    def set_book(
        self,
        job_id: str,
        source_format: str | None = None,
        author: str | None = None,
        cover_path: str | Path | None = None,
    ) -> None:
        """The source's format, author and cover image file; the arguments given replace those
        stored, None leaves a field as it is."""
        fields = {"source_format": source_format, "author": author, "cover_path": cover_path}
        given = {name: str(v) if name == "cover_path" else v for name, v in fields.items() if v}
        if given:
            self._update(job_id, **given)

    # ---- extraction -------------------------------------------------------------------------

    def set_extraction(
        self,
        job_id: str,
        status: str,
        total_pages: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        error_solution: str | None = None,
    ) -> None:
        """Set extraction_status, total_pages when given, and on 'failed' the job's error."""
        with self._write() as db:
            lifecycle.move_extraction(
                db, job_id, status, total_pages, error_code, error_message, error_solution
            )

    def pause_extraction(self, job_id: str) -> None:
        """An extraction stopped between pages goes back to pending, to resume later."""
        with self._write() as db:
            lifecycle.pause_extraction(db, job_id)

    def set_chapters(self, job_id: str, chapters: list[dict[str, Any]]) -> None:
        self._update(job_id, chapters=sql.dumps(chapters))

    def add_scenes(self, job_id: str, scenes: list[dict[str, Any]]) -> list[int]:
        """Append scenes ({text, page, bbox, chapter}) after the last; return their idx.

        One call is one transaction: call it once per extracted page, so a page is wholly
        stored or absent and `pages_done` tells re-extraction where to resume.
        """
        with self._write() as db:
            sql.fetch_job(db, job_id)
            query = "SELECT COALESCE(MAX(idx), 0) FROM scenes WHERE job_id = ?"
            last = db.execute(query, (job_id,)).fetchone()[0]
            numbers = list(range(last + 1, last + 1 + len(scenes)))
            sql.insert_scenes(db, job_id, numbers, scenes)
            sql.update_job(db, job_id)
        return numbers

    def scene_count(self, job_id: str) -> int:
        return self._scalar(job_id, "SELECT COUNT(*) FROM scenes WHERE job_id = ?")

    def pages_done(self, job_id: str) -> int:
        """The highest page among stored scenes (0 if none): re-extraction starts after it."""
        return self._scalar(job_id, "SELECT COALESCE(MAX(page), 0) FROM scenes WHERE job_id = ?")

    # ---- scenes -----------------------------------------------------------------------------

    def get_scene(self, job_id: str, idx: int) -> dict[str, Any]:
        with self._read() as db:
            return sql.fetch_scene(db, job_id, idx)

    def claim_next_scene(self, job_id: str) -> dict[str, Any] | None:
        """Atomically mark the lowest pending scene processing and return it; None if none.

        An ended (completed, failed or cancelled) job yields None; otherwise the job moves to
        'processing'. The scene's attempts count goes up by one.
        """
        with self._write() as db:
            return lifecycle.claim_scene(db, job_id)

    def complete_scene(
        self,
        job_id: str,
        idx: int,
        audio_path: str | Path,
        duration_seconds: float,
        engine_seconds: float,
        quality: dict[str, Any] | None = None,
        speaker_similarity: float | None = None,
    ) -> None:
        """Record the scene's audio (seconds of speech, seconds the engine took), its checks
        (`quality`: takes made, word error rate) and its voice match (None: not checked)."""
        fields = {"audio_path": str(audio_path), "quality": sql.dumps(quality)}
        fields["speaker_similarity"] = speaker_similarity
        fields |= {"duration_seconds": duration_seconds, "engine_seconds": engine_seconds}
        with self._write() as db:
            lifecycle.complete_scene(db, job_id, idx, **fields)

    def set_scene_marks(self, job_id: str, idx: int, marks: list[dict[str, Any]] | None) -> None:
        """The scene's sentence times within its audio: [{start, end, text, words?}] in seconds,
        words being [{start, end, word}] where a check timed them."""
        self._update(job_id, idx, marks=sql.dumps(marks))

    def set_scene_starts(self, job_id: str, starts: dict[int, float]) -> None:
        """Where each scene (idx -> seconds) starts in the assembled narration, in one commit."""
        with self._write() as db:
            db.executemany(
                "UPDATE scenes SET start_seconds = ? WHERE job_id = ? AND idx = ?",
                [(seconds, job_id, idx) for idx, seconds in starts.items()],
            )
            sql.update_job(db, job_id)

    def fail_scene(self, job_id: str, idx: int, code: str, message: str) -> None:
        with self._write() as db:
            lifecycle.fail_scene(db, job_id, idx, code, message)

    def set_scene_image(
        self,
        job_id: str,
        idx: int,
        status: str,
        image_path: str | Path | None = None,
        error: str | None = None,
    ) -> None:
        """The scene's image: its file when completed, the reason (`error`) when failed."""
        path = None if image_path is None else str(image_path)
        with self._write() as db:
            lifecycle.set_image(db, job_id, idx, status, path, error)

    def requeue_scene(self, job_id: str, idx: int) -> bool:
        """processing -> pending (cancelled mid-scene, worker stopping); False if not processing."""
        with self._write() as db:
            return lifecycle.requeue_scene(db, job_id, idx)

    # ---- start-up ---------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """After a restart: requeue 'processing' scenes; return unfinished job ids, oldest first.

        Unfinished means status pending or processing; those jobs are set to 'pending', and an
        extraction of theirs left 'processing' back to 'pending', so the caller re-extracts each
        returned job whose extraction_status is 'pending', after page `pages_done`.
        """
        with self._write() as db:
            return lifecycle.recover(db)

    def integrity_check(self) -> str:
        """'ok', or SQLite's list of problems one per line."""
        with self._read() as db:
            return "\n".join(row[0] for row in db.execute("PRAGMA integrity_check"))

    # ---- plumbing ---------------------------------------------------------------------------

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.write()

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.read()

    def _update(self, job_id: str, idx: int | None = None, **fields: Any) -> None:
        with self._write() as db:
            if idx is None:
                sql.fetch_job(db, job_id)
                sql.update_job(db, job_id, **fields)
            else:
                sql.fetch_scene(db, job_id, idx)
                sql.update_scene(db, job_id, idx, **fields)

    def _scalar(self, job_id: str, query: str) -> int:
        with self._read() as db:
            sql.fetch_job(db, job_id)
            return db.execute(query, (job_id,)).fetchone()[0]

    # ---- paged scenes (appended for GET /jobs/{id}/scenes) ----------------------------------

    def list_scenes(self, job_id: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
        """Up to `limit` scenes with idx > `after`, in order, read in one snapshot with the job.

        Returns {job (with progress, no scenes), scenes, next_after (the last idx returned when
        more follow, else None), total, unsettled_from}. A scene is settled when nothing will
        change it unless something first unsettles it: audio failed, or audio completed and its
        image completed or failed. `unsettled_from` is the lowest idx not settled (None: all
        are), so a reader holding settled scenes below it need not read them again; a retry
        moves a failed scene back to pending, which lowers it.
        """
        with self._read() as db:
            job = self.get_job(job_id, scenes=False)
            rows = db.execute(
                f"{sql.SCENES} WHERE s.job_id = ? AND s.idx > ? ORDER BY s.idx LIMIT ?",
                (job_id, after, limit + 1),  # one more than asked: is there a next page?
            ).fetchall()
            unsettled = db.execute(
                "SELECT MIN(idx) FROM scenes WHERE job_id = ? AND audio_status != 'failed'"
                " AND NOT (audio_status = 'completed' AND image_status IN ('completed', 'failed'))",
                (job_id,),
            ).fetchone()[0]
        scenes = [sql.scene_row(row) for row in rows[:limit]]
        more = len(rows) > limit
        return {
            "job": job,
            "scenes": scenes,
            "next_after": scenes[-1]["idx"] if more else None,
            "total": job["progress"]["total"],
            "unsettled_from": unsettled,
        }

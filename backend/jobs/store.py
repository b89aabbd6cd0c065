"""The SQLite record of narration jobs and their scenes: states, progress, and restart recovery.

Thread-safety: one JobStore holds one connection (check_same_thread=False) guarded by a lock, so
any thread may call any method and calls within a process are serialised. Every mutation is one
`BEGIN IMMEDIATE` transaction, so claims stay atomic across processes and across several
JobStores on one file as well (WAL, busy_timeout 5 s). A scene's audio_status moves
pending -> processing -> completed | failed; only `requeue_scene`, `recover` and `retry_job`
move it back to pending, and nothing moves a completed scene.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.jobs import store_schema as sql

ENDED = ("completed", "failed", "cancelled")


class JobStore:
    """Jobs and scenes in one SQLite file. Methods return plain dicts with JSON columns decoded;
    a missing job raises JobNotFound, a missing scene SceneNotFound."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sql.connect(self.path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

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
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, stamp, stamp),
            )
        return self.get_job(job_id)

    def get_job(self, job_id: str, scenes: bool = True) -> dict[str, Any]:
        """The job with `progress` and (unless scenes=False) its `scenes` in order."""
        with self._read() as db:
            job = sql.fetch_job(db, job_id)
            job["progress"] = sql.progress(db, job_id)
            if not scenes:
                return job
            rows = db.execute("SELECT * FROM scenes WHERE job_id = ? ORDER BY idx", (job_id,))
            job["scenes"] = [sql.scene_row(row) for row in rows]
        return job

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every job, newest first, with `progress` but no scenes."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC")
            jobs = [sql.job_row(row) for row in rows.fetchall()]
            for job in jobs:
                job["progress"] = sql.progress(db, job["id"])
        return jobs

    def delete_job(self, job_id: str) -> dict[str, Any]:
        """Delete the job and (by cascade) its scenes; return what it was, for file clean-up."""
        with self._write() as db:
            job = self.get_job(job_id)
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        return job

    def set_job_status(
        self,
        job_id: str,
        status: str,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Set status and error fields; stamp started_at (first processing) or finished_at."""
        sql.check(status, sql.JOB_STATUSES)
        with self._write() as db:
            sql.fetch_job(db, job_id)
            sql.set_status(db, job_id, status, error_code, error_message)

    def cancel_job(self, job_id: str) -> str:
        """pending/processing -> cancelled; other statuses stay. Returns the status now.

        A scene being narrated stays 'processing' until the worker completes, fails or requeues
        it (or `recover` runs at the next start).
        """
        with self._write() as db:
            status = sql.fetch_job(db, job_id)["status"]
            if status in ("pending", "processing"):
                sql.set_status(db, job_id, "cancelled", None, None)
                status = "cancelled"
        return status

    def retry_job(self, job_id: str) -> int:
        """Failed scenes -> pending, errors cleared; a failed or cancelled job -> pending.

        Completed scenes and completed jobs are never touched. Returns the number requeued.
        """
        with self._write() as db:
            status = sql.fetch_job(db, job_id)["status"]
            if status == "completed":
                return 0
            requeued = db.execute(
                "UPDATE scenes SET audio_status = 'pending', error_code = NULL,"
                " error_message = NULL, started_at = NULL, finished_at = NULL"
                " WHERE job_id = ? AND audio_status = 'failed'",
                (job_id,),
            ).rowcount
            if status in ("failed", "cancelled"):
                sql.set_status(db, job_id, "pending", None, None)
        return requeued

    def finish_job_if_done(self, job_id: str) -> str | None:
        """Settle the job once nothing is left to narrate; return the new status, else None.

        Needs extraction 'completed' or 'failed' and no pending or processing scene. Then
        'completed' if every scene completed; otherwise 'failed' with the extraction's error,
        'scenes_failed' (some scene failed) or 'no_scenes' (nothing to narrate). A cancelled
        job is left alone.
        """
        with self._write() as db:
            job = sql.fetch_job(db, job_id)
            extraction = job["extraction_status"]
            if job["status"] == "cancelled" or extraction not in ("completed", "failed"):
                return None
            counts = sql.progress(db, job_id)
            if counts["pending"] or counts["processing"]:
                return None
            code = message = None
            if extraction == "failed":
                code = job["error_code"] or "extraction_failed"
                message = job["error_message"] or "The document could not be read."
            elif counts["failed"]:
                code = "scenes_failed"
                message = f"{counts['failed']} of {counts['total']} scenes failed."
            elif not counts["total"]:
                code, message = "no_scenes", "The document has no text to narrate."
            status = "failed" if code else "completed"
            sql.set_status(db, job_id, status, code, message)
        return status

    def set_source_path(self, job_id: str, path: str | Path) -> None:
        self._update(job_id, source_path=str(path))

    def set_final_audio(self, job_id: str, path: str | Path) -> None:
        self._update(job_id, final_audio_path=str(path))

    # ---- extraction -------------------------------------------------------------------------

    def set_extraction(
        self,
        job_id: str,
        status: str,
        total_pages: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Set extraction_status, total_pages when given, and on 'failed' the job's error."""
        sql.check(status, sql.STEP_STATUSES)
        fields: dict[str, Any] = {"extraction_status": status}
        if total_pages is not None:
            fields["total_pages"] = total_pages
        if status == "failed":
            fields |= {"error_code": error_code, "error_message": error_message}
        self._update(job_id, **fields)

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
            rows = [
                (job_id, n, s["text"], s.get("page"), sql.dumps(s.get("bbox")), s.get("chapter"))
                for n, s in zip(numbers, scenes, strict=True)
            ]
            db.executemany(
                "INSERT INTO scenes (job_id, idx, text, page, bbox, chapter)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
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
            job = sql.fetch_job(db, job_id)
            if job["status"] in ENDED:
                return None
            row = db.execute(
                "SELECT idx FROM scenes WHERE job_id = ? AND audio_status = 'pending'"
                " ORDER BY idx LIMIT 1",
                (job_id,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE scenes SET audio_status = 'processing', attempts = attempts + 1,"
                " started_at = ?, finished_at = NULL, error_code = NULL, error_message = NULL"
                " WHERE job_id = ? AND idx = ?",
                (sql.now(), job_id, row["idx"]),
            )
            if job["status"] != "processing":
                sql.set_status(db, job_id, "processing", None, None)
            return sql.fetch_scene(db, job_id, row["idx"])

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
        cleared = {"error_code": None, "error_message": None, "finished_at": sql.now()}
        self._update(job_id, idx, audio_status="completed", **fields, **cleared)

    def fail_scene(self, job_id: str, idx: int, code: str, message: str) -> None:
        fields = {"error_code": code, "error_message": message, "finished_at": sql.now()}
        self._update(job_id, idx, audio_status="failed", **fields)

    def set_scene_image(
        self, job_id: str, idx: int, status: str, image_path: str | Path | None = None
    ) -> None:
        sql.check(status, sql.STEP_STATUSES)
        path = None if image_path is None else str(image_path)
        self._update(job_id, idx, image_status=status, image_path=path)

    def requeue_scene(self, job_id: str, idx: int) -> bool:
        """processing -> pending (cancelled mid-scene, worker stopping); False if not processing."""
        with self._write() as db:
            sql.fetch_scene(db, job_id, idx)
            changed = db.execute(
                "UPDATE scenes SET audio_status = 'pending', started_at = NULL"
                " WHERE job_id = ? AND idx = ? AND audio_status = 'processing'",
                (job_id, idx),
            ).rowcount
            sql.update_job(db, job_id)
        return bool(changed)

    # ---- start-up ---------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """After a restart: requeue 'processing' scenes; return unfinished job ids, oldest first.

        Unfinished means status pending or processing; those jobs are set to 'pending', and an
        extraction of theirs left 'processing' back to 'pending', so the caller re-extracts each
        returned job whose extraction_status is 'pending', after page `pages_done`.
        """
        with self._write() as db:
            return sql.requeue_interrupted(db)

    def integrity_check(self) -> str:
        """'ok', or SQLite's list of problems one per line."""
        with self._read() as db:
            return "\n".join(row[0] for row in db.execute("PRAGMA integrity_check"))

    # ---- plumbing ---------------------------------------------------------------------------

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN")  # deferred: its several SELECTs see one snapshot

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction; a nested use joins the outer one (a write may call a read)."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute(begin)
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

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
                "SELECT * FROM scenes WHERE job_id = ? AND idx > ? ORDER BY idx LIMIT ?",
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

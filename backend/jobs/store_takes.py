"""The SQLite record of a scene's takes and of the re-takes asked for (`takes`, `scene_requests`).

A scene's audio_path, duration, marks, quality, speaker_similarity and spoken_text are always
its chosen take's: every move here that changes the choice copies them in the same transaction.
Thread-safety as backend.jobs.store: one connection (its own, on the jobs file) behind a lock,
every mutation one `BEGIN IMMEDIATE` transaction, so the synthesis thread, the check thread and
the routes may all call it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.core.errors import TakeNotFound
from backend.jobs import lifecycle
from backend.jobs import store_schema as sql

OPEN_CHECKS = ("checking", "retaking")
# The take's fields a scene shows as its own once the take is chosen.
CHOSEN = ("audio_path", "duration_seconds", "engine_seconds", "quality", "marks", "spoken_text")


def _take_row(row: sqlite3.Row) -> dict[str, Any]:
    take = dict(row)
    for name in ("params", "quality", "marks"):
        take[name] = None if take[name] is None else json.loads(take[name])
    take["params"] = take["params"] or {}
    return take


class TakeStore:
    """Takes and requests in the jobs file. A missing job raises JobNotFound, a missing scene
    SceneNotFound, a missing take TakeNotFound."""

    def __init__(self, path: Path, keep: int):
        self.keep = keep  # takes kept a scene (settings.max_takes_kept)
        self._db = sql.Database(Path(path))
        self._lock, self._conn = self._db.lock, self._db.conn

    def close(self) -> None:
        self._db.close()

    # ---- takes ------------------------------------------------------------------------------

    def add_take(
        self,
        job_id: str,
        idx: int,
        take: dict[str, Any],
        choose: bool,
        check: str | None = None,
        request: int | None = None,
        guard: Callable[[sqlite3.Connection], None] | None = None,
    ) -> tuple[int, list[str]]:
        """Store a new take ({reason, text, spoken_text, params, audio_path, duration_seconds,
        engine_seconds, similarity, quality, marks}); a scene still processing (its first take)
        is completed with it. With `choose` it becomes the scene's chosen take (stale cleared
        when it was made from the scene's text and settings as they are now). Past `keep` the
        oldest unchosen takes go. `check`: the scene's check_status now (the same commit, so a
        completed scene is never seen unchecked). Returns the take's number and the files of the
        takes removed. `request`: the queued re-take it serves, dropped in the same commit.
        `guard` runs first inside the commit (a worker's lease is consumed there,
        backend.jobs.leases.consume); what it raises rolls the commit back and is raised."""
        if check is not None:
            sql.check(check, sql.CHECK_STATUSES)
        with self._write() as db:
            if guard is not None:
                guard(db)
            scene = sql.fetch_scene(db, job_id, idx)
            last = "SELECT COALESCE(MAX(number), 0) FROM takes WHERE job_id = ? AND idx = ?"
            number = db.execute(last, (job_id, idx)).fetchone()[0] + 1
            db.execute(
                "INSERT INTO takes (job_id, idx, number, reason, text, spoken_text, params,"
                " audio_path, duration_seconds, engine_seconds, similarity, quality, marks,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    idx,
                    number,
                    take["reason"],
                    take["text"],
                    take.get("spoken_text"),
                    sql.dumps(take.get("params") or {}),
                    take["audio_path"],
                    take.get("duration_seconds"),
                    take.get("engine_seconds"),
                    take.get("similarity"),
                    sql.dumps(take.get("quality")),
                    sql.dumps(take.get("marks")),
                    sql.now(),
                ),
            )
            if scene["audio_status"] == "processing":
                lifecycle.complete_scene(db, job_id, idx)
            if choose or scene["take"] is None:
                self._choose(db, job_id, idx, number)
            sql.update_scene(db, job_id, idx, check_status=check)
            if request is not None:
                db.execute("DELETE FROM scene_requests WHERE id = ?", (request,))
            removed = self._prune(db, job_id, idx)
        return number, removed

    def choose(self, job_id: str, idx: int, number: int) -> dict[str, Any]:
        """Make take `number` the scene's own; the scene as it is now."""
        with self._write() as db:
            self._choose(db, job_id, idx, number)
            return sql.fetch_scene(db, job_id, idx)

    def get_take(self, job_id: str, idx: int, number: int) -> dict[str, Any]:
        with self._read() as db:
            return self._fetch(db, job_id, idx, number)

    def list_takes(self, job_id: str, idx: int) -> list[dict[str, Any]]:
        """The scene's takes kept, oldest first."""
        with self._read() as db:
            sql.fetch_scene(db, job_id, idx)
            rows = db.execute(
                "SELECT * FROM takes WHERE job_id = ? AND idx = ? ORDER BY number", (job_id, idx)
            )
            return [_take_row(row) for row in rows]

    def record_check(
        self,
        job_id: str,
        idx: int,
        number: int,
        wer: float | None,
        marks: list[dict[str, Any]] | None,
    ) -> None:
        """What the check heard in a take: its word error rate and the marks it timed (the
        scene's too, when the take is the chosen one)."""
        with self._write() as db:
            scene = sql.fetch_scene(db, job_id, idx)
            self._fetch(db, job_id, idx, number)
            db.execute(
                "UPDATE takes SET wer = ?, marks = COALESCE(?, marks)"
                " WHERE job_id = ? AND idx = ? AND number = ?",
                (wer, sql.dumps(marks), job_id, idx, number),
            )
            if scene["take"] == number and marks is not None:
                sql.update_scene(db, job_id, idx, marks=sql.dumps(marks))

    def set_quality(
        self, job_id: str, idx: int, number: int, quality: dict | None, seed: int | None = None
    ) -> None:
        """The quality record of a take (and of the scene, when it is the chosen one); a
        re-take's own seed is kept on the take's record only."""
        stored = quality if seed is None else {**(quality or {}), "seed": seed}
        with self._write() as db:
            scene = sql.fetch_scene(db, job_id, idx)
            db.execute(
                "UPDATE takes SET quality = ? WHERE job_id = ? AND idx = ? AND number = ?",
                (sql.dumps(stored), job_id, idx, number),
            )
            if scene["take"] == number:
                sql.update_scene(db, job_id, idx, quality=sql.dumps(quality))

    def set_check(self, job_id: str, idx: int, status: str | None) -> None:
        """The scene's check: checking, retaking, passed, failed, or None (no check ran)."""
        if status is not None:
            sql.check(status, sql.CHECK_STATUSES)
        with self._write() as db:
            sql.fetch_scene(db, job_id, idx)
            sql.update_scene(db, job_id, idx, check_status=status)

    def open_checks(self, job_id: str) -> bool:
        """Whether a scene of the job is being checked or re-taken, or a re-take is queued: the
        narration waits for them before it is assembled."""
        with self._read() as db:
            query = (
                "SELECT EXISTS (SELECT 1 FROM scenes WHERE job_id = ? AND check_status IN (?, ?))"
                " OR EXISTS (SELECT 1 FROM scene_requests WHERE job_id = ?)"
            )
            return bool(db.execute(query, (job_id, *OPEN_CHECKS, job_id)).fetchone()[0])

    def unsettled_checks(self) -> list[dict[str, Any]]:
        """After a restart: each scene left checking or re-taking with no re-take queued, with
        its latest take (the one whose check was lost)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT t.* FROM scenes s JOIN takes t ON t.job_id = s.job_id AND t.idx = s.idx"
                " WHERE s.check_status IN (?, ?) AND t.number = (SELECT MAX(number) FROM takes"
                " WHERE job_id = s.job_id AND idx = s.idx) AND NOT EXISTS (SELECT 1 FROM"
                " scene_requests r WHERE r.job_id = s.job_id AND r.idx = s.idx)",
                OPEN_CHECKS,
            )
            return [_take_row(row) for row in rows]

    # ---- edits ------------------------------------------------------------------------------

    def edit_scene(
        self, job_id: str, idx: int, text: str | None, params: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Store the scene's new text and/or its own settings (None leaves one as it is). A
        scene with a chosen take that no longer matches them becomes stale. The scene now."""
        with self._write() as db:
            scene = sql.fetch_scene(db, job_id, idx)
            fields: dict[str, Any] = {}
            if text is not None:
                fields["text"] = text
            if params is not None:
                fields["params"] = sql.dumps(params)
            if fields:
                sql.update_scene(db, job_id, idx, **fields)
            if scene["take"] is not None:
                self._restale(db, job_id, idx)
            return sql.fetch_scene(db, job_id, idx)

    def stale_scenes(self, job_id: str) -> list[int]:
        with self._read() as db:
            sql.fetch_job(db, job_id)
            query = "SELECT idx FROM scenes WHERE job_id = ? AND stale = 1 ORDER BY idx"
            return [row[0] for row in db.execute(query, (job_id,))]

    def requeue_failed(self, job_id: str, idx: int) -> bool:
        """A failed scene back to pending (and a failed job with it); False if not failed."""
        with self._write() as db:
            if sql.fetch_scene(db, job_id, idx)["audio_status"] != "failed":
                return False
            lifecycle.move_scene(
                db, job_id, idx, "pending", error_code=None, error_message=None, started_at=None
            )
            if sql.fetch_job(db, job_id)["status"] in ("failed", "cancelled"):
                lifecycle.move_job(db, job_id, "pending")
            return True

    # ---- requests ---------------------------------------------------------------------------

    def add_request(self, job_id: str, idx: int, reason: str, params: dict | None = None) -> int:
        """Queue a re-take of the scene; its id. It survives a restart until it is served."""
        sql.check(reason, sql.TAKE_REASONS)
        with self._write() as db:
            sql.fetch_scene(db, job_id, idx)
            cursor = db.execute(
                "INSERT INTO scene_requests (job_id, idx, reason, params, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (job_id, idx, reason, sql.dumps(params), sql.now()),
            )
            sql.update_job(db, job_id)
            return int(cursor.lastrowid or 0)

    def next_request(self, job_id: str) -> dict[str, Any] | None:
        """The job's oldest queued re-take whose scene has audio, or None."""
        with self._read() as db:
            row = db.execute(
                "SELECT r.* FROM scene_requests r JOIN scenes s ON s.job_id = r.job_id AND"
                " s.idx = r.idx WHERE r.job_id = ? AND s.audio_status = 'completed'"
                " ORDER BY r.id LIMIT 1",
                (job_id,),
            ).fetchone()
        return None if row is None else {**dict(row), "params": json.loads(row["params"] or "{}")}

    def drop_request(self, request_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM scene_requests WHERE id = ?", (request_id,))

    def pending(self, job_id: str, idx: int) -> int:
        with self._read() as db:
            query = "SELECT COUNT(*) FROM scene_requests WHERE job_id = ? AND idx = ?"
            return db.execute(query, (job_id, idx)).fetchone()[0]

    def jobs_with_requests(self) -> list[str]:
        """Jobs (not cancelled) with a queued re-take or a check left open, oldest first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id FROM jobs WHERE status != 'cancelled' AND (EXISTS (SELECT 1 FROM"
                " scene_requests r WHERE r.job_id = jobs.id) OR EXISTS (SELECT 1 FROM scenes s"
                " WHERE s.job_id = jobs.id AND s.check_status IN (?, ?)))"
                " ORDER BY created_at, rowid",
                OPEN_CHECKS,
            )
            return [row[0] for row in rows]

    # ---- steps ------------------------------------------------------------------------------

    def _fetch(self, db: sqlite3.Connection, job_id: str, idx: int, number: int) -> dict:
        sql.fetch_scene(db, job_id, idx)
        row = db.execute(
            "SELECT * FROM takes WHERE job_id = ? AND idx = ? AND number = ?",
            (job_id, idx, number),
        ).fetchone()
        if row is None:
            raise TakeNotFound(f"Scene {idx} has no take {number}.")
        return _take_row(row)

    def _choose(self, db: sqlite3.Connection, job_id: str, idx: int, number: int) -> None:
        take = self._fetch(db, job_id, idx, number)
        fields = {name: take[name] for name in CHOSEN}
        quality = {k: v for k, v in (take["quality"] or {}).items() if k != "seed"}  # its own
        fields["quality"] = sql.dumps(quality or None)
        fields["marks"] = sql.dumps(take["marks"])
        sql.update_scene(
            db, job_id, idx, take=number, speaker_similarity=take["similarity"], **fields
        )
        self._restale(db, job_id, idx)

    def _restale(self, db: sqlite3.Connection, job_id: str, idx: int) -> None:
        """Stale: the chosen take was made from another text or other settings than the
        scene's own now. (The lexicon marks scenes stale too; choosing a matching take or making
        a new one clears it.)"""
        scene = sql.fetch_scene(db, job_id, idx)
        take = self._fetch(db, job_id, idx, scene["take"])
        stale = take["text"] != scene["text"] or take["params"] != (scene["params"] or {})
        sql.update_scene(db, job_id, idx, stale=int(stale))

    def _prune(self, db: sqlite3.Connection, job_id: str, idx: int) -> list[str]:
        """Remove the oldest unchosen takes past `keep`; their files, to delete after commit."""
        count = "SELECT COUNT(*) FROM takes WHERE job_id = ? AND idx = ?"
        extra = db.execute(count, (job_id, idx)).fetchone()[0] - self.keep
        if extra <= 0:
            return []
        rows = db.execute(
            "SELECT t.number, t.audio_path FROM takes t JOIN scenes s ON s.job_id = t.job_id"
            " AND s.idx = t.idx WHERE t.job_id = ? AND t.idx = ? AND t.number != s.take"
            " ORDER BY t.number LIMIT ?",
            (job_id, idx, extra),
        ).fetchall()
        db.executemany(
            "DELETE FROM takes WHERE job_id = ? AND idx = ? AND number = ?",
            [(job_id, idx, row["number"]) for row in rows],
        )
        return [row["audio_path"] for row in rows]

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.write()

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.read()

"""The job queue: the order unfinished jobs are spoken in, which are paused, and "pause all".

Order: highest `priority` first, then oldest (created_at, then rowid). A paused job keeps its
place but is passed over; the worker claims no scene of it (backend.jobs.lifecycle.claim_scene
refuses, in the claim's own transaction), so a pause takes effect at the next scene boundary.
"Pause all" is remembered in app_state ('paused_all' -> '1') and pauses every unfinished job; a
job created meanwhile is created paused (JobStore.create_job). Everything is in the jobs file,
so a restart keeps the order, the pauses and paused-all.

Thread-safety: JobQueue holds its own connection to the store's file, guarded by a lock; every
change is one `BEGIN IMMEDIATE` transaction, atomic against the JobStore's claims.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from backend.core.errors import JobEnded, JobNotFound, QueueOrderInvalid
from backend.jobs import store_schema as sql

UNFINISHED = "status IN ('pending', 'processing')"
ORDER = "priority DESC, created_at, rowid"
PAUSED_ALL = "paused_all"


def positions(db: sqlite3.Connection) -> dict[str, int]:
    """Each unfinished job's place in the queue, 1-based (paused jobs keep theirs)."""
    rows = db.execute(f"SELECT id FROM jobs WHERE {UNFINISHED} ORDER BY {ORDER}")
    return {row[0]: number for number, row in enumerate(rows, start=1)}


def paused_all(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT value FROM app_state WHERE key = ?", (PAUSED_ALL,)).fetchone()
    return row is not None and row[0] == "1"


class JobQueue:
    """Reorder, pause and resume jobs in the store's SQLite file (`path`). Thread-safe."""

    def __init__(self, path: Path):
        self._db = sql.Database(Path(path))
        self._lock, self._conn = self._db.lock, self._db.conn

    def close(self) -> None:
        self._db.close()

    # ---- reading --------------------------------------------------------------------------

    def runnable(self, job_ids: Iterable[str]) -> list[str]:
        """`job_ids` in the order to speak them, paused unfinished jobs left out. Jobs that have
        ended or no longer exist come last, so the worker still sees them and lets them go."""
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        with self._transaction("BEGIN") as db:
            rows = db.execute(
                f"SELECT id, paused, {UNFINISHED} AS unfinished FROM jobs WHERE id IN ({marks})"
                f" ORDER BY {ORDER}",
                ids,
            ).fetchall()
        live = [row["id"] for row in rows if row["unfinished"] and not row["paused"]]
        found = {row["id"] for row in rows}
        ended = [row["id"] for row in rows if not row["unfinished"]]
        return live + ended + [job_id for job_id in ids if job_id not in found]

    def paused_all(self) -> bool:
        """True between `pause_all` and `resume_all`, across restarts."""
        with self._transaction("BEGIN") as db:
            return paused_all(db)

    # ---- changes --------------------------------------------------------------------------

    def reorder(self, order: list[str]) -> None:
        """Put the unfinished jobs `order` names first, in that order, and the others after
        them in the order they had; sets every unfinished job's priority (first is highest).
        JobNotFound, JobEnded or QueueOrderInvalid (an id twice) change nothing."""
        if len(set(order)) != len(order):
            twice = sorted({job_id for job_id in order if order.count(job_id) > 1})
            raise QueueOrderInvalid(f"The order names job {twice[0]} more than once.")
        with self._transaction("BEGIN IMMEDIATE") as db:
            for job_id in order:
                self._unfinished(db, job_id)
            rest = [job_id for job_id in positions(db) if job_id not in order]
            ranked = [*order, *rest]
            db.executemany(
                "UPDATE jobs SET priority = ?, updated_at = ? WHERE id = ?",
                [(len(ranked) - n, sql.now(), job_id) for n, job_id in enumerate(ranked)],
            )

    def pause(self, job_id: str) -> None:
        """Pause an unfinished job: the scene being spoken finishes, no other starts."""
        self._set_paused(job_id, True)

    def resume(self, job_id: str) -> None:
        """Let a paused job run again (also while paused-all holds: that job alone)."""
        self._set_paused(job_id, False)

    def pause_all(self) -> int:
        """Remember paused-all and pause every unfinished job; the number this paused."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            db.execute(
                "INSERT INTO app_state (key, value) VALUES (?, '1')"
                " ON CONFLICT (key) DO UPDATE SET value = '1'",
                (PAUSED_ALL,),
            )
            return db.execute(
                f"UPDATE jobs SET paused = 1, updated_at = ? WHERE {UNFINISHED} AND paused = 0",
                (sql.now(),),
            ).rowcount

    def resume_all(self) -> int:
        """Forget paused-all and resume every paused unfinished job; the number resumed."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            db.execute("DELETE FROM app_state WHERE key = ?", (PAUSED_ALL,))
            return db.execute(
                f"UPDATE jobs SET paused = 0, updated_at = ? WHERE {UNFINISHED} AND paused = 1",
                (sql.now(),),
            ).rowcount

    # ---- plumbing -------------------------------------------------------------------------

    def _set_paused(self, job_id: str, paused: bool) -> None:
        with self._transaction("BEGIN IMMEDIATE") as db:
            self._unfinished(db, job_id)
            sql.update_job(db, job_id, paused=int(paused))

    @staticmethod
    def _unfinished(db: sqlite3.Connection, job_id: str) -> None:
        row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"There is no job {job_id}.")
        if row["status"] not in ("pending", "processing"):
            raise JobEnded(f"Job {job_id} has ended ({row['status']}).")

    def _transaction(self, begin: str) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction(begin)

"""LeaseStore: the scenes handed to workers over HTTP, each under a lease (`leases` table).

A claim marks the next pending scene processing and gives it a lease with a deadline in one
commit; the worker renews it while it speaks. A lease past its deadline is expired by the next
`expire` (the runner's loop and every claim call it): its scene goes back to pending, so another
worker takes it. The take a worker submits is stored only while its lease is active and inside
its deadline, in the same commit that consumes the lease (`consume`, called inside
TakeStore.add_take): a late or second submission changes nothing. Deadlines are wall-clock
seconds (time.time), so they mean the same after a coordinator restart. Thread-safe.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.core.errors import AppError, JobNotFound, LeaseLost
from backend.jobs import lifecycle
from backend.jobs import store_schema as sql

KEPT_SECONDS = 86_400.0  # ended leases stay this long, so a repeated submission is recognised


@dataclass(frozen=True)
class Lease:
    id: str
    job_id: str
    idx: int
    worker: str
    state: str
    claimed_at: float
    deadline: float
    spoken: str | None = None  # the text as the claim gave it to be spoken
    sha256: str | None = None
    take: int | None = None


def _lease(row: sqlite3.Row) -> Lease:
    return Lease(**dict(row))


def consume(
    db: sqlite3.Connection, lease_id: str, job_id: str, idx: int, now: float, sha256: str
) -> None:
    """Inside the take's commit: the lease must be the scene's, active and inside its deadline;
    it becomes 'done', with the audio's SHA-256 (so the same audio sent again, even at the same
    moment, is known). LeaseLost otherwise (nothing is changed: the caller's commit rolls back)."""
    changed = db.execute(
        "UPDATE leases SET state = 'done', sha256 = ? WHERE id = ? AND job_id = ? AND idx = ?"
        " AND state = 'active' AND deadline > ?",
        (sha256, lease_id, job_id, idx, now),
    ).rowcount
    if not changed:
        raise LeaseLost()


class LeaseStore:
    """Leases in the jobs file; `clock` is wall-clock seconds (a test's own clock may stand in)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._db = sql.Database(Path(path))

    def close(self) -> None:
        self._db.close()

    def claim(
        self, job_ids: Iterable[str], worker: str, seconds: float, fits: Callable[[dict], bool]
    ) -> tuple[Lease, dict[str, Any], dict[str, Any]] | None:
        """The first pending scene of the first job in `job_ids` (queue order) that `fits` the
        worker (its engine), leased to `worker` for `seconds`: (lease, job, scene), or None."""
        with self._db.write() as db:
            for job_id in job_ids:
                try:
                    job = sql.fetch_job(db, job_id)
                except JobNotFound:  # deleted since the runner listed it
                    continue
                if not fits(job):
                    continue
                scene = lifecycle.claim_scene(db, job_id)
                if scene is None:
                    continue
                now = self.clock()
                lease = Lease(
                    secrets.token_urlsafe(18),
                    job_id,
                    scene["idx"],
                    worker,
                    "active",
                    now,
                    now + seconds,
                )
                db.execute(
                    "INSERT INTO leases (id, job_id, idx, worker, state, claimed_at, deadline)"
                    " VALUES (?, ?, ?, ?, 'active', ?, ?)",
                    (lease.id, job_id, lease.idx, worker, now, lease.deadline),
                )
                return lease, job, scene
        return None

    def get(self, lease_id: str) -> Lease:
        """The lease, whatever its state; LeaseLost when there is none of that id."""
        with self._db.read() as db:
            row = db.execute("SELECT * FROM leases WHERE id = ?", (lease_id,)).fetchone()
        if row is None:
            raise LeaseLost("No such lease: it was never given, or its job was deleted.")
        return _lease(row)

    def active(self, lease_id: str) -> Lease:
        """The lease while it is active and inside its deadline; LeaseLost otherwise."""
        lease = self.get(lease_id)
        if lease.state != "active" or lease.deadline <= self.clock():
            raise LeaseLost()
        return lease

    def renew(self, lease_id: str, seconds: float) -> Lease:
        """A new deadline `seconds` from now, for an active lease inside its deadline whose job
        goes on; a cancelled job's lease is released (its scene back to pending). LeaseLost."""
        with self._db.write() as db:
            now = self.clock()
            row = db.execute(
                "SELECT * FROM leases WHERE id = ? AND state = 'active' AND deadline > ?",
                (lease_id, now),
            ).fetchone()
            if row is None:
                raise LeaseLost()
            lease = _lease(row)
            if sql.fetch_job(db, lease.job_id)["status"] in lifecycle.ENDED:
                self._end(db, lease, "released")
                raise LeaseLost("The scene's job has ended (cancelled or failed).")
            db.execute("UPDATE leases SET deadline = ? WHERE id = ?", (now + seconds, lease_id))
        return Lease(**{**lease.__dict__, "deadline": now + seconds})

    def release(self, lease_id: str) -> bool:
        """A worker gives its scene back (it is stopping): pending again. False if not active."""
        with self._db.write() as db:
            row = db.execute(
                "SELECT * FROM leases WHERE id = ? AND state = 'active'", (lease_id,)
            ).fetchone()
            if row is None:
                return False
            self._end(db, _lease(row), "released")
            return True

    def fail(self, lease_id: str, code: str, message: str) -> Lease:
        """The worker could not speak the scene: it fails with the worker's reason (Retry speaks
        it again), as a scene the local engine fails does. LeaseLost if the lease is not active."""
        with self._db.write() as db:
            row = db.execute(
                "SELECT * FROM leases WHERE id = ? AND state = 'active'", (lease_id,)
            ).fetchone()
            if row is None:
                raise LeaseLost()
            lease = _lease(row)
            db.execute("UPDATE leases SET state = 'failed' WHERE id = ?", (lease_id,))
            lifecycle.fail_scene(db, lease.job_id, lease.idx, code, message)
        return lease

    def set_spoken(self, lease_id: str, spoken: str) -> None:
        """The text the worker was given, kept for its take's record."""
        with self._db.write() as db:
            db.execute("UPDATE leases SET spoken = ? WHERE id = ?", (spoken, lease_id))

    def record_take(self, lease_id: str, take: int) -> None:
        """The take a consumed lease delivered, so the same submission again is answered alike."""
        with self._db.write() as db:
            db.execute("UPDATE leases SET take = ? WHERE id = ?", (take, lease_id))

    def expire(self) -> list[Lease]:
        """Every active lease past its deadline -> expired, its scene back to pending; ended
        leases older than KEPT_SECONDS are forgotten. Returns the leases expired now."""
        now = self.clock()
        with self._db.write() as db:
            rows = db.execute(
                "SELECT * FROM leases WHERE state = 'active' AND deadline <= ?", (now,)
            ).fetchall()
            expired = [_lease(row) for row in rows]
            for lease in expired:
                self._end(db, lease, "expired")
            db.execute(
                "DELETE FROM leases WHERE state != 'active' AND claimed_at < ?",
                (now - KEPT_SECONDS,),
            )
        return expired

    def holding(self) -> list[Lease]:
        """The active leases, oldest first."""
        with self._db.read() as db:
            rows = db.execute(
                "SELECT * FROM leases WHERE state = 'active' ORDER BY claimed_at"
            ).fetchall()
        return [_lease(row) for row in rows]

    def _end(self, db: sqlite3.Connection, lease: Lease, state: str) -> None:
        db.execute("UPDATE leases SET state = ? WHERE id = ?", (state, lease.id))
        with contextlib.suppress(AppError):  # the scene went with its job: nothing to requeue
            lifecycle.requeue_scene(db, lease.job_id, lease.idx)

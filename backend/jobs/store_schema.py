"""The job store's SQLite schema, migrations, row decoding, and the SQL steps it composes.

Timestamps are ISO 8601 UTC strings with microseconds, so they sort as text. The helpers taking
`db` run inside a transaction the JobStore has opened; they never open or commit one themselves.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.core.errors import JobNotFound, SceneNotFound

JOB_STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
STEP_STATUSES = ("pending", "processing", "completed", "failed")  # extraction and scene steps
SOURCE_KINDS = ("pdf", "text")
CHECK_STATUSES = ("checking", "retaking", "passed", "failed")  # a scene's check, off the path
TAKE_REASONS = ("first", "edit", "regenerate", "stale", "check")  # why a take was made


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"CHECK ({column} IN ({listed}))"


_V1 = (
    f"""
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        source_kind TEXT NOT NULL {_one_of("source_kind", SOURCE_KINDS)},
        source_path TEXT,
        voice TEXT,
        params TEXT NOT NULL DEFAULT '{{}}',
        pages TEXT,
        status TEXT NOT NULL DEFAULT 'pending' {_one_of("status", JOB_STATUSES)},
        extraction_status TEXT NOT NULL DEFAULT 'pending'
            {_one_of("extraction_status", STEP_STATUSES)},
        total_pages INTEGER,
        error_code TEXT,
        error_message TEXT,
        chapters TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        final_audio_path TEXT
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS scenes (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL CHECK (idx >= 1),
        text TEXT NOT NULL,
        chapter TEXT,
        page INTEGER,
        bbox TEXT,
        text_status TEXT NOT NULL DEFAULT 'completed' {_one_of("text_status", STEP_STATUSES)},
        audio_status TEXT NOT NULL DEFAULT 'pending' {_one_of("audio_status", STEP_STATUSES)},
        image_status TEXT NOT NULL DEFAULT 'pending' {_one_of("image_status", STEP_STATUSES)},
        audio_path TEXT,
        image_path TEXT,
        duration_seconds REAL,
        engine_seconds REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error_code TEXT,
        error_message TEXT,
        started_at TEXT,
        finished_at TEXT,
        quality TEXT,
        PRIMARY KEY (job_id, idx)
    )
    """,
    "CREATE INDEX IF NOT EXISTS scenes_job_audio ON scenes (job_id, audio_status)",
)

# The speaker check: a completed scene's cosine similarity to the job's voice (NULL: unchecked).
_V2 = ("ALTER TABLE scenes ADD COLUMN speaker_similarity REAL",)

# What a job's scenes were split for (so a resume under another engine re-splits and resamples
# instead of playing off-speed), the solution of a job's error, and why a scene has no image.
_V3 = (
    "ALTER TABLE jobs ADD COLUMN engine TEXT",
    "ALTER TABLE jobs ADD COLUMN model TEXT",
    "ALTER TABLE jobs ADD COLUMN sample_rate INTEGER",
    "ALTER TABLE jobs ADD COLUMN max_chars INTEGER",
    "ALTER TABLE jobs ADD COLUMN error_solution TEXT",
    "ALTER TABLE scenes ADD COLUMN image_error TEXT",
)

# Books and audiobooks: the file's format (pdf, epub, mobi, fb2, txt, md, html, docx; NULL for a
# pasted text; a job read from any file keeps source_kind 'pdf', "read by the reader child"), its
# author and cover image; per scene, its sentences' (and, where known, words') times within the
# scene's audio (`marks`, JSON) and where the scene starts in the assembled narration.
_V4 = (
    "ALTER TABLE jobs ADD COLUMN source_format TEXT",
    "ALTER TABLE jobs ADD COLUMN author TEXT",
    "ALTER TABLE jobs ADD COLUMN cover_path TEXT",
    "ALTER TABLE scenes ADD COLUMN marks TEXT",
    "ALTER TABLE scenes ADD COLUMN start_seconds REAL",
)

# Directing a narration. A job: its place in the queue (higher `priority` first, then oldest),
# whether it is paused at a scene boundary, and the EduSmart grade level asked for beside the
# reading grade measured. A scene: the text as spoken (normalised, lexicon applied), whether its
# audio no longer matches its text or the lexicon (`stale`), its own synthesis settings over the
# job's, the take chosen, and its check's state while a check runs off the critical path. Every
# take of a scene is kept (bounded) in `takes`; `scene_requests` queues the re-takes asked for
# (an edit, a regeneration, a stale scene, a failed check) so a restart loses none. `lexicon`
# holds pronunciations (scope '' is global, else a job id); `app_state` what the whole server
# remembers (pause all).
_V5 = (
    "ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE jobs ADD COLUMN paused INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE jobs ADD COLUMN grade_level TEXT",
    "ALTER TABLE jobs ADD COLUMN reading_grade REAL",
    "ALTER TABLE scenes ADD COLUMN spoken_text TEXT",
    "ALTER TABLE scenes ADD COLUMN stale INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE scenes ADD COLUMN params TEXT",
    "ALTER TABLE scenes ADD COLUMN take INTEGER",
    f"ALTER TABLE scenes ADD COLUMN check_status TEXT {_one_of('check_status', CHECK_STATUSES)}",
    f"""
    CREATE TABLE IF NOT EXISTS takes (
        job_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        number INTEGER NOT NULL CHECK (number >= 1),
        reason TEXT NOT NULL {_one_of("reason", TAKE_REASONS)},
        text TEXT NOT NULL,
        spoken_text TEXT,
        params TEXT NOT NULL DEFAULT '{{}}',
        audio_path TEXT NOT NULL,
        duration_seconds REAL,
        engine_seconds REAL,
        wer REAL,
        similarity REAL,
        quality TEXT,
        marks TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, idx, number),
        FOREIGN KEY (job_id, idx) REFERENCES scenes(job_id, idx) ON DELETE CASCADE
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS scene_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        reason TEXT NOT NULL {_one_of("reason", TAKE_REASONS)},
        params TEXT,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS scene_requests_job ON scene_requests (job_id, idx)",
    """
    CREATE TABLE IF NOT EXISTS lexicon (
        scope TEXT NOT NULL,
        word TEXT NOT NULL,
        respelling TEXT,
        phonemes TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (scope, word)
    )
    """,
    "CREATE TABLE IF NOT EXISTS app_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

# Leases of scenes handed to workers over HTTP (backend.jobs.leases), and when a scene last
# became pending (the queue wait /metrics reports).
LEASE_STATES = ("active", "done", "expired", "released", "failed")
_V6 = (
    f"""
    CREATE TABLE IF NOT EXISTS leases (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        worker TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'active' {_one_of("state", LEASE_STATES)},
        claimed_at REAL NOT NULL,
        deadline REAL NOT NULL,
        spoken TEXT,
        sha256 TEXT,
        take INTEGER
    )
    """,
    "CREATE UNIQUE INDEX IF NOT EXISTS leases_scene ON leases (job_id, idx) WHERE state = 'active'",
    "CREATE INDEX IF NOT EXISTS leases_deadline ON leases (deadline) WHERE state = 'active'",
    "ALTER TABLE scenes ADD COLUMN queued_at TEXT",
)

# MIGRATIONS[n] takes the database from user_version n to n + 1. Append; never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection for any thread (the caller serialises use) with the schema up to date."""
    # isolation_level=None: no implicit transactions; the store opens every one explicitly.
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode a crash still loses no commit
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


class Database:
    """One connection to the jobs file behind a re-entrant lock: each store (jobs, takes, queue,
    lexicon, leases) holds its own, so their threads never share a cursor. Thread-safe."""

    def __init__(self, path: Path):
        self.lock = threading.RLock()
        self.conn = connect(Path(path))

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.transaction("BEGIN IMMEDIATE")

    def read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.transaction("BEGIN")  # deferred: its several SELECTs see one snapshot

    @contextlib.contextmanager
    def transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction; a nested use joins the outer one (a write may call a read)."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute(begin)
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION in one transaction; a no-op when it already is."""
    conn.execute("BEGIN IMMEDIATE")  # two processes opening one new file must not both migrate
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"The jobs database has schema version {version}, newer than this server's "
                f"{SCHEMA_VERSION}; upgrade the server or move the database aside."
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def job_row(row: sqlite3.Row) -> dict[str, Any]:
    job = dict(row)
    job["params"] = _loads(job["params"])
    job["chapters"] = _loads(job["chapters"])
    job["paused"] = bool(job["paused"])
    return job


# A scene with how many takes it keeps and how many re-takes are queued for it.
SCENES = (
    "SELECT s.*,"
    " (SELECT COUNT(*) FROM takes t WHERE t.job_id = s.job_id AND t.idx = s.idx) AS takes,"
    " (SELECT COUNT(*) FROM scene_requests r WHERE r.job_id = s.job_id AND r.idx = s.idx)"
    " AS pending_takes FROM scenes s"
)


def scene_row(row: sqlite3.Row) -> dict[str, Any]:
    scene = dict(row)
    scene["bbox"] = _loads(scene["bbox"])
    scene["quality"] = _loads(scene["quality"])
    scene["marks"] = _loads(scene["marks"])
    scene["params"] = _loads(scene["params"])
    scene["stale"] = bool(scene["stale"])
    return scene


def check(value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")


def fetch_job(db: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound()  # the default body; the id is in the request already
    return job_row(row)


def fetch_scene(db: sqlite3.Connection, job_id: str, idx: int) -> dict[str, Any]:
    """Raises JobNotFound if the job is absent, SceneNotFound if only the scene is."""
    query = f"{SCENES} WHERE s.job_id = ? AND s.idx = ?"
    row = db.execute(query, (job_id, idx)).fetchone()
    if row is None:
        fetch_job(db, job_id)
        raise SceneNotFound(f"The job has no scene {idx}.")
    return scene_row(row)


def progress(db: sqlite3.Connection, job_id: str) -> dict[str, int]:
    """{total, pending, processing, completed, failed}, counted on audio_status."""
    counts = dict.fromkeys(STEP_STATUSES, 0)
    query = "SELECT audio_status, COUNT(*) FROM scenes WHERE job_id = ? GROUP BY audio_status"
    for status, count in db.execute(query, (job_id,)):
        counts[status] = count
    retaken, converted = db.execute(
        "SELECT COALESCE(SUM(json_extract(quality, '$.takes') > 1), 0),"
        " COALESCE(SUM(json_extract(quality, '$.repair') = 'voice_conversion'), 0)"
        " FROM scenes WHERE job_id = ? AND quality IS NOT NULL",
        (job_id,),
    ).fetchone()
    return {
        "total": sum(counts.values()),
        **counts,
        "retaken": int(retaken),
        "voice_converted": int(converted),
    }


# Column names below come from the store's own keyword arguments, never from a client.
def update_job(db: sqlite3.Connection, job_id: str, **fields: Any) -> None:
    """Set fields on the job and bump its updated_at."""
    sets = "".join(f"{name} = ?, " for name in fields)
    query = f"UPDATE jobs SET {sets}updated_at = ? WHERE id = ?"
    db.execute(query, (*fields.values(), now(), job_id))


def insert_scenes(
    db: sqlite3.Connection, job_id: str, numbers: list[int], scenes: list[dict[str, Any]]
) -> None:
    """New pending scenes ({text, page, bbox, chapter}) numbered `numbers`."""
    stamp = now()
    rows = [
        (job_id, n, s["text"], s.get("page"), dumps(s.get("bbox")), s.get("chapter"), stamp)
        for n, s in zip(numbers, scenes, strict=True)
    ]
    db.executemany(
        "INSERT INTO scenes (job_id, idx, text, page, bbox, chapter, queued_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def update_scene(db: sqlite3.Connection, job_id: str, idx: int, **fields: Any) -> None:
    """Set fields on one scene and bump its job's updated_at."""
    sets = ", ".join(f"{name} = ?" for name in fields)
    query = f"UPDATE scenes SET {sets} WHERE job_id = ? AND idx = ?"
    db.execute(query, (*fields.values(), job_id, idx))
    update_job(db, job_id)

"""The job state machine: the statuses of a job, its extraction and its scenes, and every move
between them, each a named function run inside a transaction the JobStore has opened.

A job:        pending -> processing -> completed | failed;  pending | processing -> cancelled;
              failed | cancelled -> pending (retry);  processing -> pending (restart).
Extraction:   pending -> processing -> completed | failed;  processing -> pending (stopped by
              cancel, shutdown or restart: resumed later after its last stored page).
A scene:      pending -> processing -> completed | failed;  processing -> pending (requeued:
              cancel, shutdown, restart);  failed -> pending (retry). Nothing moves a completed
              scene. Its image: pending -> completed | failed, once its audio is done.
Any other move raises IllegalMove. Nothing here touches files or threads.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from backend.jobs import store_schema as sql
from backend.text.chunking import split_text

JOB_STATUSES = sql.JOB_STATUSES
STEP_STATUSES = sql.STEP_STATUSES
ENDED = ("completed", "failed", "cancelled")

JOB_MOVES: dict[str, tuple[str, ...]] = {
    "pending": ("processing", "completed", "failed", "cancelled"),
    "processing": ("pending", "completed", "failed", "cancelled"),
    "failed": ("pending",),
    "cancelled": ("pending",),
    "completed": (),
}
EXTRACTION_MOVES: dict[str, tuple[str, ...]] = {
    "pending": ("processing", "completed", "failed"),
    "processing": ("pending", "completed", "failed"),
    "completed": (),
    "failed": (),
}
SCENE_MOVES: dict[str, tuple[str, ...]] = {
    "pending": ("processing",),
    "processing": ("pending", "completed", "failed"),
    "failed": ("pending",),
    "completed": (),
}
IMAGE_MOVES: dict[str, tuple[str, ...]] = {
    "pending": ("processing", "completed", "failed"),
    "processing": ("completed", "failed"),
    "failed": ("completed", "failed"),  # a scene spoken again renders again
    "completed": ("completed", "failed"),
}


class IllegalMove(ValueError):
    """A transition the state machine does not have (a bug in the caller, never a client's)."""


def check_move(moves: dict[str, tuple[str, ...]], current: str, new: str) -> None:
    if new not in moves:
        raise ValueError(f"{new!r} is not one of {', '.join(moves)}")
    if new != current and new not in moves[current]:
        raise IllegalMove(f"cannot move from {current!r} to {new!r}")


# ---- jobs -----------------------------------------------------------------------------------


def move_job(
    db: sqlite3.Connection,
    job_id: str,
    status: str,
    code: str | None = None,
    message: str | None = None,
    solution: str | None = None,
) -> None:
    """Status and error fields; started_at on the first 'processing', finished_at when ended."""
    check_move(JOB_MOVES, sql.fetch_job(db, job_id)["status"], status)
    stamp = sql.now()
    db.execute(
        "UPDATE jobs SET status = ?, error_code = ?, error_message = ?, error_solution = ?,"
        " updated_at = ?,"
        " started_at = CASE WHEN ? = 'processing' THEN COALESCE(started_at, ?) ELSE started_at END,"
        " finished_at = CASE WHEN ? IN ('completed', 'failed', 'cancelled') THEN ? ELSE NULL END"
        " WHERE id = ?",
        (status, code, message, solution, stamp, status, stamp, status, stamp, job_id),
    )


def cancel(db: sqlite3.Connection, job_id: str) -> str:
    """pending/processing -> cancelled; other statuses stay. Returns the status now."""
    status = sql.fetch_job(db, job_id)["status"]
    if status in ("pending", "processing"):
        move_job(db, job_id, "cancelled")
        status = "cancelled"
    return status


def retry(db: sqlite3.Connection, job_id: str) -> int:
    """Failed scenes -> pending; a failed or cancelled job -> pending. Returns scenes requeued.

    A completed job is never touched. An extraction a cancel stopped stays 'pending', which tells
    the runner to start it again.
    """
    status = sql.fetch_job(db, job_id)["status"]
    if status == "completed":
        return 0
    requeued = db.execute(
        "UPDATE scenes SET audio_status = 'pending', error_code = NULL, error_message = NULL,"
        " started_at = NULL, finished_at = NULL WHERE job_id = ? AND audio_status = 'failed'",
        (job_id,),
    ).rowcount
    if status in ("failed", "cancelled"):
        move_job(db, job_id, "pending")
    return requeued


def settle(db: sqlite3.Connection, job_id: str) -> str | None:
    """Settle the job once nothing is left to narrate; return the new status, else None.

    Needs extraction 'completed' or 'failed' and no pending or processing scene. Then
    'completed' if every scene completed; otherwise 'failed' with the extraction's error,
    'scenes_failed' (some scene failed) or 'no_scenes' (nothing to narrate). A cancelled job
    is left alone; an ended one settles to the same status again.
    """
    job = sql.fetch_job(db, job_id)
    extraction = job["extraction_status"]
    if job["status"] == "cancelled" or extraction not in ("completed", "failed"):
        return None
    counts = sql.progress(db, job_id)
    if counts["pending"] or counts["processing"]:
        return None
    code = message = solution = None
    if extraction == "failed":
        code = job["error_code"] or "extraction_failed"
        message = job["error_message"] or "The document could not be read."
        solution = job["error_solution"]
    elif counts["failed"]:
        code = "scenes_failed"
        message = f"{counts['failed']} of {counts['total']} scenes failed."
        solution = "Retry the job: only the failed scenes are spoken again."
    elif not counts["total"]:
        code, message = "no_scenes", "The document has no text to narrate."
    status = "failed" if code else "completed"
    move_job(db, job_id, status, code, message, solution)
    return status


def fail(db: sqlite3.Connection, job_id: str, code: str, message: str, solution: str) -> None:
    """Fail the job now (nothing more to narrate): its extraction too, if still open."""
    job = sql.fetch_job(db, job_id)
    if job["extraction_status"] in ("pending", "processing"):
        _extraction(db, job_id, "failed")
    if job["status"] not in ENDED:
        move_job(db, job_id, "failed", code, message, solution)


def record_engine(
    db: sqlite3.Connection, job_id: str, engine: str, model: str, rate: int, max_chars: int
) -> None:
    """What the job's unfinished scenes are split for: engine, model, sample rate, length."""
    sql.update_job(db, job_id, engine=engine, model=model, sample_rate=rate, max_chars=max_chars)


# ---- extraction -----------------------------------------------------------------------------


def _extraction(db: sqlite3.Connection, job_id: str, status: str, **fields: Any) -> None:
    check_move(EXTRACTION_MOVES, sql.fetch_job(db, job_id)["extraction_status"], status)
    sql.update_job(db, job_id, extraction_status=status, **fields)


def move_extraction(
    db: sqlite3.Connection,
    job_id: str,
    status: str,
    total_pages: int | None = None,
    code: str | None = None,
    message: str | None = None,
    solution: str | None = None,
) -> None:
    """Set extraction_status, total_pages when given, and on 'failed' the job's error."""
    fields: dict[str, Any] = {}
    if total_pages is not None:
        fields["total_pages"] = total_pages
    if status == "failed":
        fields |= {"error_code": code, "error_message": message, "error_solution": solution}
    _extraction(db, job_id, status, **fields)


def pause_extraction(db: sqlite3.Connection, job_id: str) -> None:
    """processing -> pending: stopped between pages; it resumes after its last stored page."""
    if sql.fetch_job(db, job_id)["extraction_status"] == "processing":
        _extraction(db, job_id, "pending")


# ---- scenes ---------------------------------------------------------------------------------


def claim_scene(db: sqlite3.Connection, job_id: str) -> dict[str, Any] | None:
    """The lowest pending scene -> processing (attempts + 1), the job -> processing; None when
    the job has ended, is paused (backend.jobs.queue) or has no pending scene."""
    job = sql.fetch_job(db, job_id)
    if job["status"] in ENDED or job["paused"]:
        return None
    row = db.execute(
        "SELECT idx FROM scenes WHERE job_id = ? AND audio_status = 'pending' ORDER BY idx LIMIT 1",
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
        move_job(db, job_id, "processing")
    return sql.fetch_scene(db, job_id, row["idx"])


def move_scene(db: sqlite3.Connection, job_id: str, idx: int, status: str, **fields: Any) -> None:
    check_move(SCENE_MOVES, sql.fetch_scene(db, job_id, idx)["audio_status"], status)
    sql.update_scene(db, job_id, idx, audio_status=status, **fields)


def complete_scene(db: sqlite3.Connection, job_id: str, idx: int, **fields: Any) -> None:
    cleared = {"error_code": None, "error_message": None, "finished_at": sql.now()}
    move_scene(db, job_id, idx, "completed", **fields, **cleared)


def fail_scene(db: sqlite3.Connection, job_id: str, idx: int, code: str, message: str) -> None:
    fields = {"error_code": code, "error_message": message, "finished_at": sql.now()}
    move_scene(db, job_id, idx, "failed", **fields)


def requeue_scene(db: sqlite3.Connection, job_id: str, idx: int) -> bool:
    """processing -> pending (cancelled mid-scene, worker stopping); False if not processing."""
    if sql.fetch_scene(db, job_id, idx)["audio_status"] != "processing":
        return False
    move_scene(db, job_id, idx, "pending", started_at=None, queued_at=sql.now())
    return True


def set_image(
    db: sqlite3.Connection,
    job_id: str,
    idx: int,
    status: str,
    path: str | None,
    error: str | None,
) -> None:
    check_move(IMAGE_MOVES, sql.fetch_scene(db, job_id, idx)["image_status"], status)
    fields = {"image_status": status, "image_path": path, "image_error": error}
    sql.update_scene(db, job_id, idx, **fields)


def resplit(db: sqlite3.Connection, job_id: str, max_chars: int) -> bool:
    """Re-split the unfinished (pending or failed) scenes to `max_chars`; False if none changed.

    Each run of consecutive unfinished scenes of one page and chapter is joined and split again,
    so a scene never crosses a page and its bbox covers what it reads; completed scenes keep
    their rows, files and order. Scenes are renumbered from 1 (file names carry no index
    promise: rows point at their files). Nothing happens while a scene is processing.
    """
    rows = [
        sql.scene_row(row)
        for row in db.execute("SELECT * FROM scenes WHERE job_id = ? ORDER BY idx", (job_id,))
    ]
    if any(row["audio_status"] == "processing" for row in rows):
        return False
    out: list[dict[str, Any]] = []  # kept rows (with "idx") and new scenes (without)
    run: list[dict[str, Any]] = []
    for row in [*rows, None]:
        unfinished = row is not None and row["audio_status"] in ("pending", "failed")
        if run and (not unfinished or _place(row) != _place(run[-1])):
            out.extend(_split_run(run, max_chars))
            run = []
        if unfinished:
            run.append(row)
        elif row is not None:
            out.append(row)
    if [s["text"] for s in out] == [r["text"] for r in rows]:  # already split this way
        return False
    offset = 1 + max(len(out), *(r["idx"] for r in rows))  # above every old and new number
    db.execute("PRAGMA defer_foreign_keys = ON")  # takes follow their scene's new number below
    for table in RENUMBERED:
        db.execute(f"UPDATE {table} SET idx = idx + ? WHERE job_id = ?", (offset, job_id))
    for number, scene in enumerate(out, start=1):
        if "idx" in scene:
            for table in RENUMBERED:
                db.execute(
                    f"UPDATE {table} SET idx = ? WHERE job_id = ? AND idx = ?",
                    (number, job_id, scene["idx"] + offset),
                )
        else:
            sql.insert_scenes(db, job_id, [number], [scene])
    for table in RENUMBERED:  # the old unfinished scenes, and what was asked of them
        db.execute(f"DELETE FROM {table} WHERE job_id = ? AND idx >= ?", (job_id, offset))
    sql.update_job(db, job_id)
    return True


RENUMBERED = ("scenes", "takes", "scene_requests")  # tables keyed by a scene's idx


def _place(scene: dict[str, Any]) -> tuple[Any, Any]:
    return scene["page"], scene["chapter"]


def _split_run(run: list[dict[str, Any]], max_chars: int) -> list[dict[str, Any]]:
    text = " ".join(scene["text"] for scene in run)
    boxes = [scene["bbox"] for scene in run if scene["bbox"]]
    bbox = None
    if boxes:
        bbox = [min(b[0] for b in boxes), min(b[1] for b in boxes)]
        bbox += [max(b[2] for b in boxes), max(b[3] for b in boxes)]
    page, chapter = _place(run[0])
    return [
        {"text": chunk, "page": page, "bbox": bbox, "chapter": chapter}
        for chunk in split_text(text, max_chars)
    ]


# ---- start-up -------------------------------------------------------------------------------


def recover(db: sqlite3.Connection) -> list[str]:
    """After a restart: processing scenes -> pending, processing extractions -> pending and
    processing jobs -> pending, except what a worker holds under an active lease (it is still
    speaking: its submission or the lease's expiry settles it). Returns the unfinished job ids,
    oldest first."""
    # A scene a worker holds under a live lease stays processing: the worker carries on and
    # submits it (backend.jobs.leases); an expired lease is the next claim's to requeue.
    db.execute(
        "UPDATE scenes SET audio_status = 'pending', started_at = NULL, queued_at = ?"
        " WHERE audio_status = 'processing' AND NOT EXISTS (SELECT 1 FROM leases l"
        " WHERE l.job_id = scenes.job_id AND l.idx = scenes.idx AND l.state = 'active')",
        (sql.now(),),
    )
    db.execute(
        "UPDATE jobs SET extraction_status = 'pending'"
        " WHERE extraction_status = 'processing' AND status IN ('pending', 'processing')"
    )
    db.execute(
        "UPDATE jobs SET status = 'pending', updated_at = ? WHERE status = 'processing'"
        " AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.job_id = jobs.id AND l.state = 'active')",
        (sql.now(),),
    )
    query = (
        "SELECT id FROM jobs WHERE status IN ('pending', 'processing') ORDER BY created_at, rowid"
    )
    return [row["id"] for row in db.execute(query)]


# A text job's scenes are stored in one call after its row: a restart that finds a text job
# without them (the server stopped in between) fails it with this reason.
INTERRUPTED = (
    "job_interrupted",
    "The server stopped before the job's text was stored.",
    "Send the text again as a new job; delete this one.",
)

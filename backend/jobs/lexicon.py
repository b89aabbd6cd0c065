"""The pronunciation lexicon in the jobs database: global entries (scope '') and each job's own
(scope = its id; a job's entry wins over a global one for the same word), and the stale marks a
change leaves on the scenes it affects.

A change (put or delete) marks stale, in the same transaction, exactly the scenes with audio
(audio_status 'completed') whose text contains the word (whole word, any case) in every job the
entry applies to: for a job entry that job; for a global one every job without its own entry
for the word. Words are matched case-insensitively and stored as first written.

Thread-safety: one connection of its own on the jobs file, guarded by a lock; each change is one
`BEGIN IMMEDIATE` transaction, so it is safe beside JobStore's connection (WAL).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from backend.core.errors import JobNotFound, LexiconEntryNotFound
from backend.jobs import store_schema as sql
from backend.text.normalize_lexicon import LexiconEntry, checked, word_pattern

__all__ = ["Lexicon", "LexiconEntry"]

GLOBAL = ""


class Lexicon:
    """Entries by scope; `lexicon_for(job_id)` is what a job's scenes are spoken with."""

    def __init__(self, path: Path):
        self._db = sql.Database(Path(path))
        self._lock, self._conn = self._db.lock, self._db.conn

    def close(self) -> None:
        self._db.close()

    def entries(self, scope: str = GLOBAL) -> list[LexiconEntry]:
        """The scope's entries, by word (any case); JobNotFound for a job that is not there."""
        with self._lock:
            self._check_scope(scope)
            rows = self._conn.execute("SELECT * FROM lexicon WHERE scope = ?", (scope,)).fetchall()
        return sorted((_entry(row) for row in rows), key=lambda entry: entry.word.lower())

    def lexicon_for(self, job_id: str) -> dict[str, LexiconEntry]:
        """Lower-cased word -> the entry a job's scenes are spoken with (its own over global)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM lexicon WHERE scope IN ('', ?) ORDER BY scope = ?", (job_id, job_id)
            ).fetchall()
        return {row["word"].lower(): _entry(row) for row in rows}  # the job's rows come last

    def put(
        self, scope: str, word: str, respelling: str | None, phonemes: str | None
    ) -> tuple[LexiconEntry, int]:
        """Add or change the entry (normalize_lexicon.checked says what is refused); returns it
        and how many scenes it made stale."""
        word, respelling, phonemes = checked(word, respelling, phonemes)
        with self._lock, self._write() as db:
            self._check_scope(scope)
            if (stored := _stored_word(db, scope, word)) is not None:
                db.execute("DELETE FROM lexicon WHERE scope = ? AND word = ?", (scope, stored))
            db.execute(
                "INSERT INTO lexicon (scope, word, respelling, phonemes, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (scope, word, respelling, phonemes, sql.now()),
            )
            stale = self._mark_stale(db, scope, word)
            row = db.execute(
                "SELECT * FROM lexicon WHERE scope = ? AND word = ?", (scope, word)
            ).fetchone()
        return _entry(row), stale

    def delete(self, scope: str, word: str) -> tuple[str, int]:
        """Remove the entry (LexiconEntryNotFound if none); returns the word as it was stored
        and how many scenes that made stale."""
        with self._lock, self._write() as db:
            self._check_scope(scope)
            stored = _stored_word(db, scope, word.strip())
            if stored is None:
                where = "the global lexicon" if scope == GLOBAL else "this job's lexicon"
                raise LexiconEntryNotFound(f"'{word.strip()}' is not in {where}.")
            db.execute("DELETE FROM lexicon WHERE scope = ? AND word = ?", (scope, stored))
            return stored, self._mark_stale(db, scope, stored)

    # ---- plumbing ---------------------------------------------------------------------------

    def _check_scope(self, scope: str) -> None:
        if scope == GLOBAL:
            return
        if self._conn.execute("SELECT 1 FROM jobs WHERE id = ?", (scope,)).fetchone() is None:
            raise JobNotFound()

    def _mark_stale(self, db: sqlite3.Connection, scope: str, word: str) -> int:
        """Mark the scenes the entry applies to whose spoken audio contains the word."""
        query = "SELECT job_id, idx, text FROM scenes WHERE audio_status = 'completed'"
        args: tuple[str, ...] = ()
        own: set[str] = set()  # for a global entry: the jobs with an entry of their own
        if scope == GLOBAL:
            rows = db.execute("SELECT scope, word FROM lexicon WHERE scope != ''").fetchall()
            own = {row["scope"] for row in rows if row["word"].lower() == word.lower()}
        else:
            query, args = query + " AND job_id = ?", (scope,)
        if word.isascii():  # LIKE folds ASCII case only: a quick filter, the regex decides
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query += " AND text LIKE ? ESCAPE '\\'"
            args = (*args, f"%{escaped}%")
        rows = db.execute(query, args).fetchall()
        pattern = word_pattern(word)
        hits = [
            (row["job_id"], row["idx"])
            for row in rows
            if row["job_id"] not in own and pattern.search(row["text"])
        ]
        db.executemany("UPDATE scenes SET stale = 1 WHERE job_id = ? AND idx = ?", hits)
        return len(hits)

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.write()


def _stored_word(db: sqlite3.Connection, scope: str, word: str) -> str | None:
    """The scope's word that is `word` in any case (SQLite's NOCASE folds ASCII only)."""
    wanted = word.lower()
    rows = db.execute("SELECT word FROM lexicon WHERE scope = ?", (scope,)).fetchall()
    return next((row["word"] for row in rows if row["word"].lower() == wanted), None)


def _entry(row: sqlite3.Row) -> LexiconEntry:
    return LexiconEntry(
        word=row["word"],
        respelling=row["respelling"],
        phonemes=row["phonemes"],
        updated_at=row["updated_at"],
        scope=row["scope"],
    )

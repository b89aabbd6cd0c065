"""Which job a book already has: a small state file in the output's folder maps each book (its
bytes' SHA-256 and the options that shape the narration) to its job id on the server.

Running the command again on the same file with the same options finds the job there and
resumes it instead of starting another. A changed file, voice, page range, model or language
is another narration, so another key. A state file that cannot be read counts as empty: the
worst case is one new job, never a failed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from backend.core import atomic

STATE_NAME = ".chatterbox-narrate.json"
VERSION = 1


def book_key(source: Path, options: dict[str, str]) -> str:
    """SHA-256 of the file's bytes followed by the options (sorted JSON), as hex."""
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()


class ResumeState:
    """The state file of one output folder. Each change re-reads it first, so runs writing
    to the same folder keep each other's entries (the last write of one key wins)."""

    def __init__(self, folder: Path):
        self.path = folder / STATE_NAME

    def job_for(self, key: str) -> str | None:
        entry = self._read().get(key)
        return entry.get("job") if isinstance(entry, dict) else None

    def remember(self, key: str, job_id: str, source: Path) -> None:
        jobs = self._read()
        jobs[key] = {"job": job_id, "source": source.name}
        self._write(jobs)

    def forget(self, key: str) -> None:
        jobs = self._read()
        if jobs.pop(key, None) is not None:
            self._write(jobs)

    def _read(self) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(state, dict) and isinstance(state.get("jobs"), dict):
                return state["jobs"]
        return {}

    def _write(self, jobs: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": VERSION, "jobs": jobs}, indent=1, sort_keys=True)
        atomic.write_text(self.path, text + "\n")

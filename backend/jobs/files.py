"""A job's files on disk: written whole (backend.core.atomic) before a row points at them, and
never left behind by a job that was deleted meanwhile."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import soundfile as sf

from backend.core import atomic


def write_bytes(path: Path, data: bytes) -> None:
    """`data` as `path`, atomically; the job's folder is made if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, data)


def write_wav(path: Path, samples: Any, rate: int) -> None:
    """16-bit PCM WAV as `path`, atomically; the job's folder is made if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_atomic(
        path, lambda handle: sf.write(handle, samples, rate, "PCM_16", format="WAV")
    )


def remove_if_orphan(folder: Path, exists: Callable[[], bool]) -> bool:
    """After a write into a job's folder: if the job is gone (deleted while the file was being
    made), remove the folder the write brought back. True when it did.

    Deleting removes the row, then the folder; a writer writes, then asks. Either the writer
    sees the row gone and removes the folder, or the delete's removal comes after the write."""
    if exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True

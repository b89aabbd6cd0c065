"""A job's files on disk: written whole (temporary name, fsync, rename) before a row points at
them, and never left behind by a job that was deleted meanwhile."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import soundfile as sf


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """`write(handle)` into a unique temporary file beside `path`, fsync it, then rename it over
    `path` (and fsync the folder, so the rename survives a power cut). Two writers of one path
    never share a temporary file; the last rename wins and each leaves a whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, lambda handle: handle.write(data))


def write_wav(path: Path, samples: Any, rate: int) -> None:
    write_atomic(path, lambda handle: sf.write(handle, samples, rate, "PCM_16", format="WAV"))


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; its renames are journalled
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_if_orphan(folder: Path, exists: Callable[[], bool]) -> bool:
    """After a write into a job's folder: if the job is gone (deleted while the file was being
    made), remove the folder the write brought back. True when it did.

    Deleting removes the row, then the folder; a writer writes, then asks. Either the writer
    sees the row gone and removes the folder, or the delete's removal comes after the write."""
    if exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True

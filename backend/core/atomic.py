"""Atomic file writes: a reader, or a crash, finds the old file or the new one, never part of one.

The one guarantee, for every writer in the project: the new contents go to a unique temporary
file in the target's own folder (so the rename never crosses a file system), are flushed and
fsynced, and the file is renamed over the target with os.replace; then the folder is fsynced
where the operating system allows it (POSIX; Windows cannot open a folder, and NTFS journals the
rename), so the new name survives a power cut. If anything fails first, the temporary file is
removed and the target is untouched. Two writers of one path never share a temporary file: the
last rename wins, and each leaves a whole file. Folders are never created here: a caller that
wants one makes it (a folder that is gone may have been deleted on purpose).

Standard library only: setup_env.py's helpers use it before anything is installed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def temp_beside(path: Path) -> Path:
    """A new, empty, uniquely named file in `path`'s folder (`.<name>.<random>.tmp`), for
    writers that need a file name rather than a handle; `publish` puts it in place."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def publish(tmp: Path, path: Path) -> None:
    """fsync `tmp`, rename it over `path`, fsync the folder. `tmp` is gone afterwards, also when
    this fails (then `path` is as it was)."""
    _finish(tmp, path, "rb+", lambda handle: None)  # rb+: Windows refuses fsync when read-only


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """`write(handle)` into a temporary file beside `path`, then `publish` it as `path`."""
    _finish(temp_beside(path), path, "wb", write)


def _finish(tmp: Path, path: Path, mode: str, write: Callable[[BinaryIO], Any]) -> None:
    """Open `tmp` in `mode`, `write`, flush and fsync it, rename it over `path`, fsync the
    folder; on any failure `tmp` is removed and `path` is as it was."""
    try:
        with open(tmp, mode) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, lambda handle: handle.write(data))


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes(path, text.encode(encoding))


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; nothing to do (or possible) on Windows."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Sizes and removal on disk that never follow links: a link (a Windows junction too) counts as
nothing and goes as a link, its target untouched. cleanup.py removes with these, and the set-up
doctor sizes the model folders with them. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

LINK_TAGS = (0xA000000C, 0xA0000003)  # Windows reparse tags: symbolic link, junction


def _is_link_stat(st: os.stat_result) -> bool:
    # Windows junctions are links too; other reparse points (OneDrive files) are ordinary files.
    return stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0) in LINK_TAGS


def is_link(path: Path) -> bool:
    try:
        return _is_link_stat(path.lstat())
    except OSError:
        return False


def tree_size(path: Path) -> int:
    """Bytes under `path`, never following links (a link counts as nothing)."""
    try:
        st = path.lstat()
        if _is_link_stat(st) or not stat.S_ISDIR(st.st_mode):
            return 0 if _is_link_stat(st) else st.st_size
        with os.scandir(path) as listing:
            entries = [Path(entry.path) for entry in listing]
    except OSError:
        return 0
    return sum(tree_size(entry) for entry in entries)


def remove(path: Path) -> str | None:
    """Remove a file, a link (never its target) or a folder tree; the first error, if any."""
    errors: list[str] = []

    def retry(func: Callable[[str], None], failed: str, _: object) -> None:  # read-only files
        try:
            os.chmod(failed, stat.S_IWRITE | stat.S_IREAD)
            func(failed)
        except OSError as again:
            errors.append(f"{failed}: {again.strerror or again}")

    try:
        if is_link(path):
            (os.rmdir if os.name == "nt" and path.is_dir() else os.unlink)(path)
        elif path.is_dir():  # rmtree removes links inside as links, junctions included
            shutil.rmtree(path, **{"onexc" if sys.version_info >= (3, 12) else "onerror": retry})
        elif path.exists():
            retry(os.unlink, str(path), None)
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror or exc}")
    return errors[0] if errors else None

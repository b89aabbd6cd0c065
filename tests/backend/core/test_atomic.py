"""backend/core/atomic.py: old file or new file, never part of one; fsynced before and after the rename."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from backend.core import atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "meta.json"
    target.write_text("old")
    atomic.write_text(target, "new\n")
    assert target.read_bytes() == b"new\n"  # no newline translation, on any OS
    assert leftovers(tmp_path) == []


def test_a_writer_that_fails_leaves_the_old_file_and_no_temporary_file(tmp_path: Path):
    target = tmp_path / "scene.wav"
    target.write_bytes(b"old")

    def half_then_fail(handle) -> None:
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.write_atomic(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_the_file_is_fsynced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic.write_bytes(tmp_path / "a", b"1")
    tmp = atomic.temp_beside(tmp_path / "b")
    tmp.write_bytes(b"2")
    atomic.publish(tmp, tmp_path / "b")
    folder = [] if os.name == "nt" else ["fsync folder"]
    assert events == ["fsync file", "rename", *folder] * 2
    assert (tmp_path / "b").read_bytes() == b"2"


def test_temporary_files_are_unique_and_beside_the_target(tmp_path: Path):
    first, second = atomic.temp_beside(tmp_path / "x.mp3"), atomic.temp_beside(tmp_path / "x.mp3")
    assert first != second
    assert first.parent == second.parent == tmp_path
    assert first.name.startswith(".x.mp3.")
    first.unlink()
    second.unlink()


def test_publish_that_cannot_rename_removes_its_temporary_file_and_keeps_the_target(
    tmp_path: Path,
):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("kept")  # a non-empty folder cannot be replaced by a file
    tmp = atomic.temp_beside(target)
    tmp.write_bytes(b"new")
    with pytest.raises(OSError):
        atomic.publish(tmp, target)
    assert not tmp.exists()
    assert (target / "inside").read_text() == "kept"


def test_no_folder_is_created_for_a_target_whose_folder_is_gone(tmp_path: Path):
    # A voice deleted while it was being written must not come back as an empty folder.
    with pytest.raises(FileNotFoundError):
        atomic.write_bytes(tmp_path / "deleted" / "meta.json", b"{}")
    assert not (tmp_path / "deleted").exists()

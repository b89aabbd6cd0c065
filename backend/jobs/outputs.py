"""A finished narration's downloads: each format is made once from the assembled WAV (and the
job's scenes, chapters and cover), cached beside it, safe under concurrent downloads (each
writer makes its own temporary file and publishes it whole), and removed with the job's folder.

Formats register here; a builder writes `out` from the job (a store row with its scenes) and the
narration WAV. A cached file newer than the WAV is reused; a re-assembled WAV makes it stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.core import atomic
from backend.jobs.assembly import encode_mp3
from backend.jobs.readalong import build_epub

Builder = Callable[[dict[str, Any], Path, Path], None]


@dataclass(frozen=True)
class Output:
    """One download format: its media type, its file name's suffix and how it is made."""

    media_type: str
    suffix: str
    build: Builder | None  # None: the WAV itself


def _mp3(job: dict[str, Any], wav: Path, out: Path) -> None:
    encode_mp3(wav, out)


OUTPUTS: dict[str, Output] = {
    "wav": Output("audio/wav", "wav", None),
    "mp3": Output("audio/mpeg", "mp3", _mp3),
    "epub": Output(
        "application/epub+zip", "epub", build_epub
    ),  # read-along, backend.jobs.readalong
}


def output_file(job: dict[str, Any], fmt: str) -> Path:
    """The job's narration as `fmt` (a key of OUTPUTS), made now unless a fresh copy exists."""
    output = OUTPUTS[fmt]
    wav = Path(job["final_audio_path"])
    if output.build is None:
        return wav
    path = wav.with_suffix(f".{output.suffix}")
    if _fresh(path, wav):
        return path
    tmp = atomic.temp_beside(path)
    try:
        output.build(job, wav, tmp)
        atomic.publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _fresh(path: Path, source: Path) -> bool:
    try:
        return path.stat().st_mtime >= source.stat().st_mtime
    except FileNotFoundError:
        return False

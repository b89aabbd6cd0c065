"""A finished narration's downloads: each format is made once from the assembled WAV (and the
job's scenes, chapters and cover), cached beside it, safe under concurrent downloads (each
writer makes its own temporary file and publishes it whole), and removed with the job's folder.

Formats register here; a builder writes `out` from the job (a store row with its scenes) and the
narration WAV. A cached file newer than the WAV and the job's cover is reused; a re-assembled WAV
or a new cover makes it stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.core import atomic
from backend.jobs.m4b import build_m4b
from backend.jobs.mp3_tags import build_mp3
from backend.jobs.readalong import build_epub

Builder = Callable[[dict[str, Any], Path, Path], None]


@dataclass(frozen=True)
class Output:
    """One download format: its media type, its file name's suffix and how it is made."""

    media_type: str
    suffix: str
    build: Builder | None  # None: the WAV itself


OUTPUTS: dict[str, Output] = {
    "wav": Output("audio/wav", "wav", None),
    "mp3": Output("audio/mpeg", "mp3", build_mp3),  # ID3 chapters, cover and tags
    "m4b": Output("audio/mp4", "m4b", build_m4b),  # AAC audiobook: chapters, cover and tags
    "epub": Output("application/epub+zip", "epub", build_epub),  # read-along EPUB 3
}


def output_file(job: dict[str, Any], fmt: str) -> Path:
    """The job's narration as `fmt` (a key of OUTPUTS), made now unless a fresh copy exists."""
    output = OUTPUTS[fmt]
    wav = Path(job["final_audio_path"])
    if output.build is None:
        return wav
    path = wav.with_suffix(f".{output.suffix}")
    sources = [wav, *([Path(job["cover_path"])] if job.get("cover_path") else [])]
    if _fresh(path, sources):
        return path
    tmp = atomic.temp_beside(path)
    try:
        output.build(job, wav, tmp)
        atomic.publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _fresh(path: Path, sources: list[Path]) -> bool:
    """`path` exists and is at least as new as each source (a source that is gone, such as a
    removed cover, counts as changed)."""
    try:
        made = path.stat().st_mtime
        return all(made >= source.stat().st_mtime for source in sources)
    except FileNotFoundError:
        return False

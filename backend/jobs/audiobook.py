"""What a finished narration says about itself as an audiobook: its title, author, narrator,
cover and chapter spans, read from the job, for the M4B and MP3 writers (backend.jobs.m4b,
backend.jobs.mp3_tags)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
from PIL import Image

GENRE = "Audiobook"
KEPT = ("PNG", "JPEG")  # what players take as they are


@dataclass(frozen=True)
class Chapter:
    """One chapter of the narration, in milliseconds from its start (`end_ms` is exclusive)."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Cover:
    """A cover image as a player takes it: PNG or JPEG bytes and their media type."""

    data: bytes
    mime: str


@dataclass(frozen=True)
class Book:
    title: str
    author: str | None
    narrator: str | None
    chapters: list[Chapter]
    cover: Cover | None


def book_of(job: dict[str, Any], wav: Path) -> Book:
    """The audiobook `job` makes: its chapter markers as spans over the WAV's length (one
    chapter, the title, for a narration without markers), its cover (job["cover_path"]; none
    when unset or gone) and its tags. job["narrator"] is the voice's name (the API sets it)."""
    duration_ms = round(sf.info(str(wav)).duration * 1000)
    title = job.get("title") or "Narration"
    return Book(
        title=title,
        author=job.get("author") or None,
        narrator=job.get("narrator") or None,
        chapters=chapter_spans(job.get("chapters") or [], duration_ms, title),
        cover=read_cover(job.get("cover_path")),
    )


def chapter_spans(markers: list[dict[str, Any]], duration_ms: int, title: str) -> list[Chapter]:
    """Markers [{title, start_seconds}] as chapters that each end where the next starts, the
    last at `duration_ms`; none gives one chapter named `title` for the whole narration."""
    if not markers:
        return [Chapter(title, 0, duration_ms)]
    starts = [min(round(m["start_seconds"] * 1000), duration_ms) for m in markers]
    ends = [*starts[1:], duration_ms]
    return [
        Chapter(m["title"], start, max(end, start))
        for m, start, end in zip(markers, starts, ends, strict=True)
    ]


def read_cover(path: str | Path | None) -> Cover | None:
    """The cover file as PNG or JPEG bytes (another image format is converted to PNG with
    Pillow); None without a path or when the file is gone."""
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    with Image.open(io.BytesIO(data)) as image:
        if image.format in KEPT:
            return Cover(data, Image.MIME[image.format])
        buffer = io.BytesIO()
        keeps = image.mode in ("RGB", "RGBA", "L", "LA", "P")
        (image if keeps else image.convert("RGB")).save(buffer, "PNG")
    return Cover(buffer.getvalue(), "image/png")

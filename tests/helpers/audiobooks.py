"""Reading an audiobook file back with PyAV and mutagen, for tests: chapters, tags and cover."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
from PIL import Image


def chapters_of(path: Path) -> list[tuple[str, float]]:
    """(title, start in seconds) of each chapter FFmpeg reads from the file, by start time.

    FFmpeg lists ID3 chapters in the order of their CHAP frames, and mutagen orders frames by
    size (the ID3 standard leaves it open: CTOC and the start times give the order)."""
    with av.open(str(path)) as container:
        found = [
            (chapter["metadata"].get("title", ""), float(chapter["start"] * chapter["time_base"]))
            for chapter in container.chapters()
        ]
    return sorted(found, key=lambda chapter: chapter[1])


def container_of(path: Path) -> dict[str, Any]:
    """The container's format, tags, audio codec, duration and whether it carries a picture."""
    with av.open(str(path)) as container:
        return {
            "format": container.format.name,
            "tags": dict(container.metadata),
            "codec": container.streams.audio[0].codec_context.name,
            "seconds": (container.duration or 0) / av.time_base,
            "picture": any(s.type == "video" for s in container.streams),
        }


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def png_bytes(
    size: tuple[int, int] = (48, 32), colour: tuple[int, int, int] = (200, 40, 40)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(
    size: tuple[int, int] = (40, 40), colour: tuple[int, int, int] = (20, 90, 200)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()

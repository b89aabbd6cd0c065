"""Real media bytes for the front-end tests: WAV and MP3 tones, a tiny PNG."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

import numpy as np
import soundfile as sf

RATE = 22050


@lru_cache(maxsize=16)
def tone(seconds: float = 0.5, fmt: str = "WAV", rate: int = RATE, pitch: float = 220.0) -> bytes:
    """`seconds` of a quiet sine, encoded by libsndfile as WAV (16-bit) or MP3."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)
    buffer = io.BytesIO()
    subtype = "PCM_16" if fmt == "WAV" else None
    sf.write(buffer, samples, rate, subtype=subtype, format=fmt)
    return buffer.getvalue()


def kind(fmt: str) -> str:
    """The libsndfile format the fake answers a request's `format` in: MP3 for mp3, else WAV."""
    return "MP3" if fmt == "mp3" else "WAV"


@lru_cache(maxsize=4)
def m4b(title: str, chapters: tuple[tuple[str, float], ...], seconds: float = 2.0) -> bytes:
    """A real M4B (the server's own writer, backend.jobs.m4b) of a tone with these chapters
    (title, start seconds)."""
    import tempfile
    from pathlib import Path

    from backend.jobs.m4b import build_m4b

    with tempfile.TemporaryDirectory() as folder:
        wav, out = Path(folder) / "narration.wav", Path(folder) / "narration.m4b"
        wav.write_bytes(tone(seconds))
        markers = [{"title": name, "start_seconds": start} for name, start in chapters]
        build_m4b({"title": title, "chapters": markers}, wav, out)
        return out.read_bytes()


def seconds_of(data: bytes) -> float:
    """Length of an encoded clip; raises soundfile.LibsndfileError when it is not audio."""
    info = sf.info(io.BytesIO(data))
    return info.frames / info.samplerate


@lru_cache(maxsize=1)
def png(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG of a flat grey, built by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xa0\xa0\xa0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def image_kind(data: bytes) -> str | None:
    """ "png" or "jpg" for an image that decodes whole as one (Pillow), else None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return {"PNG": "png", "JPEG": "jpg"}.get(image.format or "")
    except (OSError, ValueError, SyntaxError):
        return None

"""The bad-input corpus, generated on demand: each entry is a request a careless or hostile client
might send, and the specific 4xx error the server must answer with.

Real-world PDFs come from ../shared/corpus/pdfs/ (the encrypted, image-only and zero-page ones).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import soundfile as sf

from tests.helpers import books
from tests.helpers.audio import clip_bytes, wav_header
from tests.helpers.pdfs import memory_bomb_pdf, slow_drawing_pdf

SHARED_PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "pdfs"


@dataclass(frozen=True)
class BadInput:
    name: str
    method: str
    path: str
    request: Callable[[], dict[str, Any]]  # requests.request keyword arguments
    status: int
    code: str


def wav(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    t = np.arange(int(seconds * rate)) / rate
    sf.write(
        buffer,
        (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32),
        rate,
        format="WAV",
        subtype="PCM_16",
    )
    return buffer.getvalue()


def hour_of_mp3() -> bytes:
    """One hour of near-silence as an 8 kHz mono MP3 (about 14 MB)."""
    buffer = io.BytesIO()
    rate = 8000
    block = np.zeros(rate * 60, dtype=np.float32)
    block[::97] = 0.001
    with sf.SoundFile(buffer, "w", rate, 1, format="MP3") as out:
        for _ in range(60):
            out.write(block)
    return buffer.getvalue()


def pdf_pages(pages: int, text: str) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_text((72, 72), text, fontsize=4)
    return doc.tobytes(garbage=4, deflate=True)


def expanding_pdf() -> bytes:
    """Under a megabyte of PDF that holds about three million characters of text."""
    doc = pymupdf.open()
    line = "All work and no play makes a dull narration. " * 3
    for _ in range(1500):
        page = doc.new_page()
        page.insert_textbox(page.rect, (line + "\n") * 15, fontsize=3)
    return doc.tobytes(garbage=4, deflate=True)


def shared_pdf(name: str) -> bytes:
    return (SHARED_PDFS / name).read_bytes()


def upload(route_field: str, name: str, data: Callable[[], bytes]) -> Callable[[], dict]:
    return lambda: {"files": {route_field: (name, data())}}


def voice(name: str, data: Callable[[], bytes]) -> Callable[[], dict]:
    return upload("file", name, data)


def job_pdf(data: Callable[[], bytes]) -> Callable[[], dict]:
    return upload("file", "book.pdf", data)


def tts(text: str) -> Callable[[], dict]:
    return lambda: {"json": {"text": text}}


CORPUS = [
    BadInput(
        "empty voice file", "POST", "/voices", voice("a.wav", lambda: b""), 422, "audio_unreadable"
    ),
    BadInput(
        "random bytes as a voice",
        "POST",
        "/voices",
        voice("a.wav", lambda: np.random.default_rng(1).bytes(50_000)),
        422,  # its first bytes pass for an MPEG frame header: it is tried, and fails, as MP3
        "audio_unreadable",
    ),
    BadInput(
        "a PDF named .wav",
        "POST",
        "/voices",
        voice("a.wav", lambda: pdf_pages(1, "Hi")),
        415,
        "unsupported_audio_format",
    ),
    BadInput(
        "truncated WAV",
        "POST",
        "/voices",
        voice("a.wav", lambda: clip_bytes(5.0)[:60]),
        422,  # the header and 8 samples: read for what it holds
        "audio_too_short",
    ),
    BadInput(
        "truncated MP3",
        "POST",
        "/voices",
        voice("a.mp3", lambda: clip_bytes(5.0, fmt="MP3")[:700]),
        422,
        "audio_too_short",
    ),
    BadInput(
        "WAV header claiming 4 GB",
        "POST",
        "/voices",
        voice("a.wav", lambda: wav_header(16000, 0xFFFFFFFF, bytes(32000))),  # holds 1 s
        422,  # read for the one second it holds, never allocated at the claimed size
        "audio_too_short",
    ),
    BadInput(
        "0.2 s clip", "POST", "/voices", voice("a.wav", lambda: wav(0.2)), 422, "audio_too_short"
    ),
    BadInput(
        "10-minute WAV",
        "POST",
        "/voices",
        voice("a.wav", lambda: wav(600.0)),
        422,
        "audio_too_long",
    ),
    BadInput("1-hour MP3", "POST", "/voices", voice("a.mp3", hour_of_mp3), 422, "audio_too_long"),
    BadInput(
        "truncated PDF",
        "POST",
        "/jobs",
        job_pdf(lambda: pdf_pages(3, "Text.")[:400]),
        422,
        "document_unreadable",
    ),
    BadInput(
        "encrypted PDF",
        "POST",
        "/jobs",
        job_pdf(lambda: shared_pdf("libreoffice-writer-password.pdf")),
        400,
        "document_encrypted",
    ),
    BadInput(
        "image-only PDF",
        "POST",
        "/jobs",
        job_pdf(lambda: shared_pdf("imagemagick-images.pdf")),
        422,
        "document_no_text",
    ),
    BadInput(
        "zero-page PDF",
        "POST",
        "/jobs",
        job_pdf(lambda: shared_pdf("unreadablemetadata.pdf")),
        422,
        "document_unreadable",
    ),
    BadInput(
        "10,000-page PDF",
        "POST",
        "/jobs",
        job_pdf(lambda: pdf_pages(10_000, "Page.")),
        413,
        "document_too_large",
    ),
    BadInput(
        "small PDF expanding to millions of characters",
        "POST",
        "/jobs",
        job_pdf(expanding_pdf),
        413,
        "document_too_large",
    ),
    BadInput(
        "DRM-locked EPUB",
        "POST",
        "/jobs",
        upload("file", "locked.epub", books.drm_epub),
        400,
        "document_encrypted",
    ),
    BadInput(
        "DRM-locked MOBI",
        "POST",
        "/jobs",
        upload("file", "locked.mobi", lambda: books.make_mobi(drm=True)),
        400,
        "document_encrypted",
    ),
    BadInput(
        "EPUB cut in half",
        "POST",
        "/jobs",
        upload("file", "broken.epub", books.corrupt_zip),
        422,
        "document_unreadable",
    ),
    BadInput(
        "EPUB without words",
        "POST",
        "/jobs",
        upload("file", "empty.epub", lambda: books.make_epub([("", []), ("", [])])),
        422,
        "document_no_text",
    ),
    BadInput(
        "a picture as a book",
        "POST",
        "/jobs",
        upload("file", "photo.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
        415,
        "document_unsupported",
    ),
    BadInput("oversized JSON", "POST", "/tts", tts("word " * 400_000), 413, "upload_too_large"),
    BadInput("empty text", "POST", "/tts", tts(""), 422, "text_empty"),
    BadInput("whitespace text", "POST", "/tts", tts(" \n\t  \u3000 "), 422, "text_empty"),
    BadInput("emoji-only text", "POST", "/tts", tts("😀🎉🔥"), 422, "text_empty"),
    BadInput("NUL text", "POST", "/tts", tts("\x00\x00\x00"), 422, "text_empty"),
    BadInput(
        "right-to-left control text", "POST", "/tts", tts("\u202e\u202b\u200f"), 422, "text_empty"
    ),
    BadInput("text over the limit", "POST", "/tts", tts("word " * 2000), 413, "text_too_long"),
]


@dataclass(frozen=True)
class RendererCase:
    """A PDF whose text reads at once but whose page breaks the renderer: the job is narrated
    and each scene's image fails with `reason` in its image_error."""

    name: str
    build: Callable[[], bytes]
    reason: str


RENDERER_CORPUS = [
    RendererCase("page that takes minutes to draw", slow_drawing_pdf, "took longer than"),
    RendererCase("image declaring 3.2 GB", memory_bomb_pdf, "MB of memory"),
]

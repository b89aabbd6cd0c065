"""The narration as an M4B audiobook: AAC in MP4 (FFmpeg's iPod muxer, through PyAV) with one
chapter per chapter marker, then the audiobook tags and cover written with mutagen."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import soundfile as sf
from mutagen.mp4 import MP4, MP4Cover

from backend.jobs.audiobook import GENRE, Book, book_of

AAC_BIT_RATE = 64_000  # mono speech: transparent at 64 kb/s
BLOCK = 1 << 15  # samples read at a time: memory stays flat for hours of audio
MILLISECOND = Fraction(1, 1000)
AUDIOBOOK_KIND = 2  # iTunes media kind (stik) "Audiobook"


def build_m4b(job: dict[str, Any], wav: Path, out: Path) -> None:
    """Encode `wav` as a chaptered, tagged M4B into `out` (backend.jobs.outputs' builder)."""
    book = book_of(job, wav)
    encode_m4b(wav, out, book)
    tag_m4b(out, book)


def encode_m4b(wav: Path, out: Path, book: Book) -> None:
    """AAC-encode the WAV block by block into an MP4 at `out` carrying the book's chapters
    (FFmpeg writes them both as a QuickTime chapter track and as Nero `chpl`)."""
    with sf.SoundFile(wav) as source, av.open(str(out), "w", format="ipod") as container:
        rate = source.samplerate
        stream = container.add_stream("aac", rate=rate, layout="mono")
        stream.bit_rate = AAC_BIT_RATE
        container.set_chapters(
            [
                {
                    "id": number,
                    "start": chapter.start_ms,
                    "end": chapter.end_ms,
                    "time_base": MILLISECOND,
                    "metadata": {"title": chapter.title},
                }
                for number, chapter in enumerate(book.chapters, start=1)
            ]
        )
        pts = 0
        for block in source.blocks(blocksize=BLOCK, dtype="float32", always_2d=True):
            mono = block.mean(axis=1, dtype="float32").reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(mono, format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, pts
            pts += mono.shape[1]
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def tag_m4b(path: Path, book: Book) -> None:
    """Title (also the album), author (artist and album artist), narrator (composer, where
    audiobook players look, and ©nrt), genre Audiobook, media kind Audiobook and the cover."""
    tags = MP4(path)
    values: dict[str, Any] = {
        "\xa9nam": [book.title],
        "\xa9alb": [book.title],
        "\xa9gen": [GENRE],
        "stik": [AUDIOBOOK_KIND],
    }
    if book.author:
        values |= {"\xa9ART": [book.author], "aART": [book.author]}
    if book.narrator:
        values |= {"\xa9wrt": [book.narrator], "\xa9nrt": [book.narrator]}
    if book.cover:
        kind = MP4Cover.FORMAT_PNG if book.cover.mime == "image/png" else MP4Cover.FORMAT_JPEG
        values["covr"] = [MP4Cover(book.cover.data, kind)]
    tags.update(values)
    tags.save()

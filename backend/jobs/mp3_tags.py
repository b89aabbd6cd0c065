"""The narration as a tagged MP3: encoded by backend.jobs.assembly, then ID3v2.3 written with
mutagen: chapter frames (CHAP, one per chapter marker, under one ordered CTOC), the cover (APIC)
and the audiobook tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mutagen.id3 import (
    APIC,
    CHAP,
    CTOC,
    ID3,
    TALB,
    TCOM,
    TCON,
    TIT2,
    TPE1,
    TPE2,
    TXXX,
    CTOCFlags,
    PictureType,
)

from backend.jobs.assembly import encode_mp3
from backend.jobs.audiobook import GENRE, Book, book_of

TOC_ID = "toc"
UTF8 = 3  # ID3 text encoding; mutagen writes UTF-16 in its place for v2.3


def build_mp3(job: dict[str, Any], wav: Path, out: Path) -> None:
    """Encode `wav` as MP3 into `out` and tag it (backend.jobs.outputs' builder)."""
    book = book_of(job, wav)
    encode_mp3(wav, out)
    tag_mp3(out, book)


def tag_mp3(path: Path, book: Book) -> None:
    """Write the book's ID3 tag into `path` (v2.3: what most players read)."""
    tags = ID3()
    for frame in (TIT2, TALB):
        tags.add(frame(encoding=UTF8, text=book.title))
    tags.add(TCON(encoding=UTF8, text=GENRE))
    if book.author:
        tags.add(TPE1(encoding=UTF8, text=book.author))
        tags.add(TPE2(encoding=UTF8, text=book.author))
    if book.narrator:
        tags.add(TCOM(encoding=UTF8, text=book.narrator))
        tags.add(TXXX(encoding=UTF8, desc="NARRATOR", text=book.narrator))
    ids = [f"ch{number}" for number in range(len(book.chapters))]
    tags.add(
        CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=UTF8, text=book.title)],
        )
    )
    for element_id, chapter in zip(ids, book.chapters, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                sub_frames=[TIT2(encoding=UTF8, text=chapter.title)],
            )
        )
    if book.cover:
        tags.add(
            APIC(
                encoding=UTF8,
                mime=book.cover.mime,
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=book.cover.data,
            )
        )
    tags.save(path, v2_version=3)

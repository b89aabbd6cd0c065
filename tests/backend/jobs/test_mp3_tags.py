"""The MP3 download's ID3 tag: chapter frames (CHAP under CTOC), the cover and the audiobook
tags, read back with mutagen and PyAV."""

from __future__ import annotations

import soundfile as sf
from mutagen.id3 import ID3

from backend.jobs.mp3_tags import build_mp3
from tests.backend.jobs.test_assembly import tone
from tests.helpers.audiobooks import chapters_of, container_of, image_size, jpeg_bytes

MARKERS = [
    {"title": "Prologue", "start_seconds": 0.0, "scene": 1},
    {"title": "Ünïcode chapter", "start_seconds": 1.75, "scene": 2},
]


def test_an_mp3_has_id3_chapters_a_cover_and_the_audiobook_tags(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 4.0, 24000)
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(jpeg_bytes((40, 30)))
    job = {
        "title": "Tagged",
        "author": "Ada Writer",
        "narrator": "Joe",
        "chapters": MARKERS,
        "cover_path": str(cover),
    }
    out = tmp_path / "book.mp3"
    build_mp3(job, wav, out)
    tags = ID3(out)
    assert tags.version[:2] == (2, 3)
    (toc,) = tags.getall("CTOC")
    chaps = {chap.element_id: chap for chap in tags.getall("CHAP")}
    assert [chaps[i].sub_frames["TIT2"].text[0] for i in toc.child_element_ids] == [
        "Prologue",
        "Ünïcode chapter",
    ]
    assert [(chaps[i].start_time, chaps[i].end_time) for i in toc.child_element_ids] == [
        (0, 1750),
        (1750, 4000),
    ]
    assert tags["TIT2"].text == ["Tagged"] and tags["TALB"].text == ["Tagged"]
    assert tags["TPE1"].text == ["Ada Writer"] and tags["TCOM"].text == ["Joe"]
    assert tags["TCON"].text == ["Audiobook"]
    (picture,) = tags.getall("APIC")
    assert picture.mime == "image/jpeg" and image_size(picture.data) == (40, 30)
    assert chapters_of(out) == [("Prologue", 0.0), ("Ünïcode chapter", 1.75)]
    read = container_of(out)
    assert read["format"] == "mp3" and read["tags"]["artist"] == "Ada Writer"
    assert abs(sf.info(out).duration - 4.0) < 0.1


def test_an_mp3_of_a_text_job_is_one_chapter_without_a_cover(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 1.5, 24000)
    out = tmp_path / "text.mp3"
    build_mp3({"title": "Plain", "chapters": [], "cover_path": None}, wav, out)
    assert chapters_of(out) == [("Plain", 0.0)]
    assert ID3(out).getall("APIC") == []

"""The M4B audiobook: AAC in MP4 with the job's chapters, tags and cover, read back with PyAV
and mutagen."""

from __future__ import annotations

from mutagen.mp4 import MP4, MP4Cover

from backend.jobs.m4b import build_m4b
from tests.backend.jobs.test_assembly import tone
from tests.helpers.audiobooks import chapters_of, container_of, image_size, png_bytes

MARKERS = [
    {"title": "Opening", "start_seconds": 0.0, "scene": 1},
    {"title": "Chapitre deux: l'été", "start_seconds": 2.5, "scene": 3},
    {"title": "Three", "start_seconds": 4.25, "scene": 5},
]


def _job(tmp_path, **extra):
    return {
        "title": "A Small Book",
        "author": "Ada Writer",
        "narrator": "Joe",
        "chapters": MARKERS,
        "cover_path": None,
        **extra,
    }


def test_an_m4b_has_one_chapter_per_marker_with_its_title_and_start(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 6.0, 22050)
    out = tmp_path / "book.m4b"
    build_m4b(_job(tmp_path), wav, out)
    found = chapters_of(out)
    assert [title for title, _ in found] == [m["title"] for m in MARKERS]
    for (_, start), marker in zip(found, MARKERS, strict=True):
        assert abs(start - marker["start_seconds"]) < 0.002
    info = container_of(out)
    assert info["codec"] == "aac" and abs(info["seconds"] - 6.0) < 0.1


def test_an_m4b_carries_the_audiobook_tags_and_the_cover(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 3.0, 24000)
    cover = tmp_path / "cover.png"
    cover.write_bytes(png_bytes((48, 32)))
    out = tmp_path / "book.m4b"
    build_m4b(_job(tmp_path, cover_path=str(cover)), wav, out)
    tags = MP4(out).tags
    assert tags["\xa9nam"] == ["A Small Book"] and tags["\xa9alb"] == ["A Small Book"]
    assert tags["\xa9ART"] == ["Ada Writer"] and tags["\xa9wrt"] == ["Joe"]
    assert tags["\xa9gen"] == ["Audiobook"] and tags["stik"] == [2]
    (art,) = tags["covr"]
    assert art.imageformat == MP4Cover.FORMAT_PNG and image_size(bytes(art)) == (48, 32)
    read = container_of(out)
    assert read["tags"]["title"] == "A Small Book" and read["tags"]["composer"] == "Joe"
    assert read["picture"]
    assert len(chapters_of(out)) == 3  # tagging kept the chapters


def test_a_narration_without_chapters_is_one_chapter_named_after_the_book(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 2.0, 24000)
    out = tmp_path / "book.m4b"
    build_m4b({"title": "Just Text", "chapters": []}, wav, out)
    assert chapters_of(out) == [("Just Text", 0.0)]
    tags = MP4(out).tags
    assert "covr" not in tags and "\xa9ART" not in tags


def test_a_cover_in_another_image_format_is_embedded_as_png(tmp_path) -> None:
    from PIL import Image

    cover = tmp_path / "cover.gif"
    Image.new("P", (20, 10)).save(cover, "GIF")
    wav = tone(tmp_path / "narration.wav", 1.0, 24000)
    out = tmp_path / "book.m4b"
    build_m4b(_job(tmp_path, cover_path=str(cover)), wav, out)
    (art,) = MP4(out).tags["covr"]
    assert art.imageformat == MP4Cover.FORMAT_PNG and image_size(bytes(art)) == (20, 10)

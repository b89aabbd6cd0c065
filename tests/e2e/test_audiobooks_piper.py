"""A chaptered PDF narrated by real Piper through the real server, downloaded over HTTP as an M4B
and an MP3 whose chapters (count, titles, start times), tags and cover are read back with PyAV
and mutagen and checked against the job."""

from __future__ import annotations

import pymupdf
import pytest
import requests
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from tests.e2e.conftest import LiveServer
from tests.helpers.audiobooks import chapters_of, container_of, image_size, png_bytes

CHAPTERS = [
    ("The Mill", "The river runs past the old mill. The wheel turns slowly all day."),
    ("The Bridge", "A stone bridge crosses the water. Children wave at the boats."),
    ("Évening", "The sun goes down behind the hills. The village lights come on."),
]


def chaptered_pdf() -> bytes:
    """One page per chapter, each a bookmark of the outline."""
    doc = pymupdf.open()
    for _, text in CHAPTERS:
        doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 400), text, fontsize=12)
    doc.set_toc([[1, title, number] for number, (title, _) in enumerate(CHAPTERS, start=1)])
    return doc.tobytes()


@pytest.fixture(scope="module")
def finished(piper_server: LiveServer) -> dict:
    job = piper_server.narrated("river.pdf", chaptered_pdf())
    assert job["status"] == "completed", job
    return job


def _download(server: LiveServer, job: dict, fmt: str, path) -> requests.Response:
    response = requests.get(f"{server.url}/jobs/{job['id']}/audio?format={fmt}", timeout=120)
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    return response


def _assert_chapters_match(found: list[tuple[str, float]], job: dict) -> None:
    assert [title for title, _ in found] == [title for title, _ in CHAPTERS]
    assert [title for title, _ in found] == [c["title"] for c in job["chapters"]]
    for (_, start), marker in zip(found, job["chapters"], strict=True):
        assert abs(start - marker["start_seconds"]) < 0.002, (start, marker)
    assert found[0][1] == 0.0 and found[1][1] > 1.0  # real speech before the second chapter


def test_the_m4b_of_a_piper_narration_has_the_pdfs_chapters_and_tags(
    piper_server: LiveServer, finished: dict, tmp_path
) -> None:
    path = tmp_path / "river.m4b"
    response = _download(piper_server, finished, "m4b", path)
    assert response.headers["content-type"] == "audio/mp4"
    _assert_chapters_match(chapters_of(path), finished)
    info = container_of(path)
    assert info["codec"] == "aac" and info["seconds"] > 3.0
    tags = MP4(path).tags
    assert tags["\xa9nam"] == ["river"] and tags["\xa9gen"] == ["Audiobook"]
    assert tags["stik"] == [2] and tags["\xa9wrt"][0].startswith("Built-in voice")


def test_the_mp3_of_a_piper_narration_has_id3_chapters(
    piper_server: LiveServer, finished: dict, tmp_path
) -> None:
    path = tmp_path / "river.mp3"
    response = _download(piper_server, finished, "mp3", path)
    assert response.headers["content-type"] == "audio/mpeg"
    _assert_chapters_match(chapters_of(path), finished)
    frames = ID3(path)
    (toc,) = frames.getall("CTOC")
    assert len(toc.child_element_ids) == len(CHAPTERS)
    assert frames["TIT2"].text == ["river"]


def test_a_cover_uploaded_after_the_first_download_is_in_the_next_ones(
    piper_server: LiveServer, finished: dict, tmp_path
) -> None:
    url = f"{piper_server.url}/jobs/{finished['id']}/cover"
    put = requests.put(url, files={"file": ("c.png", png_bytes((32, 32)), "image/png")}, timeout=30)
    assert put.status_code == 200, put.text
    m4b, mp3 = tmp_path / "covered.m4b", tmp_path / "covered.mp3"
    _download(piper_server, finished, "m4b", m4b)
    _download(piper_server, finished, "mp3", mp3)
    (art,) = MP4(m4b).tags["covr"]
    assert image_size(bytes(art)) == (32, 32)
    (picture,) = ID3(mp3).getall("APIC")
    assert image_size(picture.data) == (32, 32)
    assert len(chapters_of(m4b)) == len(CHAPTERS)  # the remade file keeps its chapters

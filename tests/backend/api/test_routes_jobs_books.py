"""POST /jobs and POST /pdf/preview with every document format: the job's source_format, title,
author and cover, chapters on its scenes, no scene images but a PDF's; and EPUB, DOCX, Markdown
and HTML carried through a real job with Piper to chapter markers named as the book's chapters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.core.settings import Settings
from backend.engines.piper import PiperEngine
from tests.helpers import books
from tests.helpers.api import assert_error
from tests.helpers.pdfs import text_pdf
from tests.helpers.wait import wait_for

TITLES = [title for title, _ in books.CHAPTERS]
# format -> (file name, bytes, title the job gets, author)
UPLOADS = {
    "epub": ("river.epub", books.make_epub, books.TITLE, books.AUTHOR),
    "docx": ("river.docx", books.make_docx, books.TITLE, books.AUTHOR),
    "md": ("river.md", books.make_markdown, "river", None),
    "html": ("river.html", books.make_html, books.TITLE, books.AUTHOR),
    "fb2": ("river.fb2", books.make_fb2, books.TITLE, books.AUTHOR),
    "mobi": ("river.mobi", books.make_mobi, "river", None),
    "txt": ("river.txt", books.make_text, "river", None),
}
HEADED = ["epub", "docx", "md", "html", "fb2", "mobi"]


def upload(client, fmt: str, **fields):
    name, build, _, _ = UPLOADS[fmt]
    return client.post("/jobs", files={"file": (name, build())}, data=fields)


def settled(client, job_id: str, timeout: float = 120) -> dict:
    done = ("completed", "failed", "cancelled")
    return wait_for(
        lambda: (j := client.get(f"/jobs/{job_id}").json())["status"] in done and j, timeout
    )


@pytest.mark.parametrize("fmt", sorted(UPLOADS))
def test_a_book_of_each_format_becomes_a_job_with_its_format_title_and_author(client, fmt):
    response = upload(client, fmt)
    assert response.status_code == 202, response.text
    job = settled(client, response.json()["id"])
    _, _, title, author = UPLOADS[fmt]
    assert job["status"] == "completed", job
    assert (job["source_kind"], job["source_format"]) == ("pdf", fmt)
    assert (job["title"], job["author"]) == (title, author)
    assert Path(job["source_path"]).name == f"source.{fmt}"
    scenes = job["scenes"]
    assert all(s["image_status"] == "completed" and s["image_path"] is None for s in scenes)
    text = " ".join(s["text"] for s in scenes)
    assert all(p in text for _, ps in books.CHAPTERS for p in ps)


@pytest.mark.parametrize("fmt", HEADED)
def test_every_scene_carries_its_chapter_and_the_markers_follow_the_book(client, fmt):
    job = settled(client, upload(client, fmt).json()["id"])
    scenes = job["scenes"]
    assert all(s["chapter"] in TITLES for s in scenes)
    assert [s["chapter"] for s in scenes] == sorted(
        (s["chapter"] for s in scenes), key=TITLES.index
    )
    assert [c["title"] for c in job["chapters"]] == TITLES


def test_a_form_title_wins_over_the_books_metadata(client):
    job = upload(client, "epub", title="My own title").json()
    assert job["title"] == "My own title"


@pytest.mark.parametrize("fmt", ["epub", "fb2"])
def test_an_ebooks_cover_is_saved_in_the_jobs_folder(client, fmt):
    job = settled(client, upload(client, fmt).json()["id"])
    cover = Path(job["cover_path"])
    assert cover.name == "cover.png" and cover.parent == Path(job["source_path"]).parent
    assert cover.read_bytes() == books.cover_png()


def test_a_pdfs_cover_is_its_first_page_and_its_scenes_keep_their_images(client):
    response = client.post("/jobs", files={"file": ("b.pdf", text_pdf(pages=2))})
    job = settled(client, response.json()["id"])
    assert job["source_format"] == "pdf"
    assert Path(job["cover_path"]).read_bytes().startswith(b"\x89PNG")
    assert all(s["image_path"] for s in job["scenes"])
    assert [s["chapter"] for s in job["scenes"]] == ["Chapter 1", "Chapter 2"]


def test_a_book_without_a_cover_has_none(client):
    job = settled(client, upload(client, "docx").json()["id"])
    assert job["cover_path"] is None


@pytest.mark.parametrize("fmt", sorted(UPLOADS))
def test_the_preview_reads_each_format_with_its_metadata_and_chapters(client, fmt):
    name, build, title, author = UPLOADS[fmt]
    response = client.post("/pdf/preview", files={"file": (name, build())})
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["source_format"] == fmt
    assert (preview["title"] or "river", preview["author"]) == (title, author)
    chapters = [c["title"] for c in preview["chapters"]]
    assert chapters == (TITLES if fmt in HEADED else [])
    text = " ".join(page["text"] for page in preview["pages"])
    assert books.CHAPTERS[0][1][0] in text


@pytest.mark.parametrize(
    ("build", "name", "status", "code"),
    [
        (books.drm_epub, "locked.epub", 400, "document_encrypted"),
        (lambda: books.make_mobi(drm=True), "locked.mobi", 400, "document_encrypted"),
        (books.corrupt_zip, "broken.epub", 422, "document_unreadable"),
        (
            lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(200)),
            "photo.png",
            415,
            "document_unsupported",
        ),
    ],
)
def test_bad_books_are_clear_errors_from_jobs_and_the_preview_and_leave_no_job(
    client, build, name, status, code
):
    for route in ("/jobs", "/pdf/preview"):
        response = client.post(route, files={"file": (name, build())})
        said = {"error": code, "message": "what is wrong", "solution": "what to do"}
        assert_error(response, status, said)
    assert client.get("/jobs").json()["jobs"] == []


# ---- real speech ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["epub", "docx", "md", "html"])
def test_a_book_narrated_by_piper_has_one_marker_per_chapter_in_order(make_client, fmt):
    client = make_client(PiperEngine(Settings(_env_file=None)))
    response = upload(client, fmt)
    assert response.status_code == 202, response.text
    job = settled(client, response.json()["id"], timeout=240)
    assert job["status"] == "completed", job
    markers = job["chapters"]
    assert [m["title"] for m in markers] == TITLES
    starts = [m["start_seconds"] for m in markers]
    assert starts[0] == 0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    audio = client.get(f"/jobs/{job['id']}/audio")
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"

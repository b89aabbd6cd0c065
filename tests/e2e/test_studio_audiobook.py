"""The studio in a real browser offers a finished narration as an M4B audiobook: the download
from the job's page is an MP4 with the job's chapters (real Piper speech, real server)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.studio import StudioServer
from tests.e2e.test_audiobooks_piper import CHAPTERS, chaptered_pdf
from tests.helpers.audiobooks import chapters_of, container_of


def test_the_m4b_downloaded_from_the_job_page_has_the_jobs_chapters(
    backend: LiveServer, studio: StudioServer, browser: Browser, tmp_path: Path
) -> None:
    job = backend.narrated("river.pdf", chaptered_pdf())
    assert job["status"] == "completed", job

    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(f"{studio.url}/?job={job['id']}")
    button = page.get_by_role("button", name="Download M4B")
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=120_000) as download:
        button.click()
    m4b = tmp_path / "download.m4b"
    m4b.write_bytes(Path(download.value.path()).read_bytes())
    assert download.value.suggested_filename == "river.m4b"

    info = container_of(m4b)
    assert "mp4" in info["format"] and info["codec"] == "aac"
    assert info["tags"]["major_brand"].strip() in ("M4A", "M4B")
    found = chapters_of(m4b)
    assert [title for title, _ in found] == [title for title, _ in CHAPTERS]
    for (_, start), marker in zip(found, job["chapters"], strict=True):
        assert abs(start - marker["start_seconds"]) < 0.002

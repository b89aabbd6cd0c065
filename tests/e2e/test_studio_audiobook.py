"""The studio in a real browser offers a finished narration as an M4B audiobook: the download
from the job's page is an MP4 with the job's chapters (real Piper speech, real server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import LiveServer
from tests.e2e.studio import CHROMIUM, CHROMIUM_ARGS, StudioServer
from tests.e2e.test_audiobooks_piper import CHAPTERS, chaptered_pdf
from tests.helpers.audiobooks import chapters_of, container_of
from tests.helpers.wait import wait_for


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("audiobook-backend"),
        CHATTERBOX_ENGINE="piper",
        CHATTERBOX_QUALITY_CHECK="off",
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def studio(backend: LiveServer, tmp_path_factory) -> Iterator[StudioServer]:
    server = StudioServer(backend.url, tmp_path_factory.mktemp("audiobook-frontend"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_the_m4b_downloaded_from_the_job_page_has_the_jobs_chapters(
    backend: LiveServer, studio: StudioServer, tmp_path: Path
) -> None:
    files = {"file": ("river.pdf", chaptered_pdf(), "application/pdf")}
    created = requests.post(backend.url + "/jobs", files=files, timeout=60)
    assert created.status_code == 202, created.text
    url = f"{backend.url}/jobs/{created.json()['id']}"
    job = wait_for(
        lambda: (j := requests.get(url, timeout=10).json())["status"] == "completed" and j,
        timeout=180,
        interval=0.2,
    )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto(f"{studio.url}/?job={job['id']}")
            button = page.get_by_role("button", name="Download M4B")
            expect(button).to_be_visible(timeout=60_000)
            with page.expect_download(timeout=120_000) as download:
                button.click()
            m4b = tmp_path / "download.m4b"
            m4b.write_bytes(Path(download.value.path()).read_bytes())
            assert download.value.suggested_filename == "river.m4b"
        finally:
            browser.close()

    info = container_of(m4b)
    assert "mp4" in info["format"] and info["codec"] == "aac"
    assert info["tags"]["major_brand"].strip() in ("M4A", "M4B")
    found = chapters_of(m4b)
    assert [title for title, _ in found] == [title for title, _ in CHAPTERS]
    for (_, start), marker in zip(found, job["chapters"], strict=True):
        assert abs(start - marker["start_seconds"]) < 0.002

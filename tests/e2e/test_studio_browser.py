"""The studio in a real browser: Debian's chromium (Playwright) on the real Streamlit app, which
talks to the real server with real Piper speech, all on loopback.

Screenshots of the main states land in test-artifacts/screenshots (desktop and 390 px wide).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests
import soundfile as sf
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.studio import ARTIFACTS, StudioServer
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.wait import wait_for

SHOTS = ARTIFACTS / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SENTENCES = [
    "The gardener walks slowly along the river and counts the boats.",
    "A small bird waits on the fence until the rain has passed.",
    "The old teacher reads a letter by the window every morning.",
    "Our neighbor crosses the wide field before the sun goes down.",
    "The night train carries sleepy people to the city by the sea.",
]


def long_page(number: int) -> str:
    """About 1,600 characters: several scenes per page, so the job runs long enough to watch."""
    body = " ".join(SENTENCES[(number + i) % len(SENTENCES)] for i in range(25))
    return f"Page {number} begins here. {body}"


def shot(page: Page, name: str, at: str | None = None) -> None:
    """Save a screenshot with the main area scrolled to the top, or to the element `at`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    else:
        page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / f"{name}.png")


def fits_width(page: Page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"] + 1


def job_id_of(page: Page) -> str:
    match = re.search(r"[?&]job=([0-9a-f]+)", page.url)
    assert match, page.url
    return match.group(1)


def test_a_pdf_becomes_narration_heard_in_the_browser(
    studio: StudioServer, backend: LiveServer, browser: Browser, tmp_path: Path
):
    pdf = tmp_path / "river-story.pdf"
    pdf.write_bytes(pdf_from_pages([long_page(n) for n in (1, 2, 3)]))
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.goto(studio.url)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Engine piper on cpu")).to_be_visible(timeout=30_000)
    shot(page, "01-narrate-start-desktop")

    page.locator("input[type=file]").first.set_input_files(pdf)
    expect(page.get_by_text("3 of 3 pages selected.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Page 2 begins here.", exact=False)).to_be_visible()
    shot(page, "02-pdf-preview-desktop")

    page.get_by_role("button", name="Generate narration").click()
    page.wait_for_url(re.compile(r"job="), timeout=30_000)
    job_id = job_id_of(page)

    # Scene 1 is playable while later scenes are still being made.
    first = page.locator(".st-key-scene_1 audio")
    expect(first).to_have_count(1, timeout=60_000)
    job = requests.get(f"{backend.url}/jobs/{job_id}", timeout=5).json()
    assert job["status"] != "completed"
    assert job["progress"]["completed"] < job["progress"]["total"]
    shot(page, "03-scene-1-playable-while-rendering-desktop")
    shot(page, "03b-pending-scenes-desktop", at=".st-key-scene_3")

    # It keeps playing through the page's polling, which draws the next scene's player meanwhile
    # (a redraw of scene 1 would make a new element, or restart this one from 0).
    first.evaluate("audio => { audio.dataset.watched = 'yes'; return audio.play(); }")
    expect(page.locator(".st-key-scene_2 audio")).to_have_count(1, timeout=120_000)
    playing = first.evaluate(
        "audio => ({time: audio.currentTime, paused: audio.paused, ended: audio.ended,"
        " watched: audio.dataset.watched})"
    )
    assert playing["watched"] == "yes"  # the very element that started playing
    assert playing["time"] > 0 and (not playing["paused"] or playing["ended"])

    # Each poll read a short page from the first unsettled scene, never the whole job again.
    # (Scene 2 may appear in a poll that still starts at 0, while scene 1's image was being
    # drawn; a later poll of the running job starts past the settled scenes.)
    def polls() -> list[tuple[str, str]]:
        log = backend.log_path.read_text()
        return re.findall(rf'"GET /jobs/{job_id}/scenes\?after=(\d+)&limit=(\d+) ', log)

    wait_for(lambda: any(int(after) > 0 for after, _ in polls()), timeout=120)
    assert max(int(limit) for _, limit in polls()) <= 500
    assert (
        backend.log_path.read_text().count(f'"GET /jobs/{job_id} HTTP') == 1
    )  # this test's own, above

    # A refresh shows the same job, from the URL.
    page.reload()
    expect(page.get_by_role("heading", name="river-story")).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-scene_1 audio")).to_have_count(1, timeout=30_000)
    assert job_id_of(page) == job_id
    shot(page, "04-after-reload-desktop")

    download_button = page.get_by_role("button", name="Download MP3")
    expect(download_button).to_be_visible(timeout=180_000)
    shot(page, "05-narration-complete-desktop")
    with page.expect_download() as download:
        download_button.click()
    mp3 = Path(download.value.path()).read_bytes()
    info = sf.info(io.BytesIO(mp3))
    assert info.format == "MP3"
    scenes = requests.get(f"{backend.url}/jobs/{job_id}", timeout=5).json()["scenes"]
    spoken = sum(scene["duration_seconds"] for scene in scenes)
    assert info.duration == pytest.approx(spoken, rel=0.05)
    assert download.value.suggested_filename == "river-story.mp3"

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{studio.url}/?job={job_id}")
    expect(phone.get_by_role("heading", name="river-story")).to_be_visible(timeout=30_000)
    expect(phone.locator(".st-key-scene_1 audio")).to_have_count(1, timeout=30_000)
    assert fits_width(phone)
    shot(phone, "06-narration-phone")
    context.close()


def test_voices_and_quick_speak_work_at_phone_width(
    studio: StudioServer, backend: LiveServer, browser: Browser, tmp_path: Path
):
    speech = requests.post(
        f"{backend.url}/tts",
        json={"text": "This is my voice, reading a few clear sentences for the studio."},
        timeout=60,
    )
    clip = tmp_path / "narrator.wav"
    clip.write_bytes(speech.content)
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{studio.url}/voices")
    expect(page.get_by_text("cannot clone", exact=False)).to_be_visible(timeout=30_000)
    page.locator("input[type=file]").first.set_input_files(clip)
    page.get_by_role("button", name="Add to library").click()
    expect(page.locator("[class*='st-key-library_voice_']")).to_have_count(1, timeout=30_000)
    expect(page.locator(f".st-key-library_voice_{_first_voice(backend)} audio")).to_have_count(1)
    assert fits_width(page)
    shot(page, "07-voices-phone")
    shot(page, "07b-voice-library-phone", at="[class*='st-key-library_voice_']")

    page.goto(f"{studio.url}/quick_speak")
    page.get_by_role("button", name="Speak").click()
    expect(page.get_by_role("button", name="Download WAV")).to_be_visible(timeout=60_000)
    expect(page.locator("audio")).to_have_count(1)
    assert fits_width(page)
    shot(page, "08-quick-speak-phone")


def _first_voice(backend: LiveServer) -> str:
    voices = requests.get(f"{backend.url}/voices", timeout=5).json()["voices"]
    assert voices, "the upload did not reach the library"
    return voices[0]["id"]


def test_the_studio_says_plainly_when_the_server_is_down_and_recovers_by_itself(
    browser: Browser, tmp_path: Path
):
    backend = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper", CHATTERBOX_LOAD_ON_STARTUP="false")
    backend.wait_ready()
    studio = StudioServer(backend.url, tmp_path)
    try:
        studio.wait_ready()
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(f"{studio.url}/jobs")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Engine piper on cpu")).to_be_visible(timeout=30_000)

        backend.stop()
        expect(sidebar.get_by_text("● Not answering")).to_be_visible(timeout=30_000)
        page.reload()  # a fresh visit while it is down: a message with the way out, no traceback
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text("is not answering")).to_be_visible(timeout=30_000)
        expect(main.get_by_text("start_linux.sh", exact=False)).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        shot(page, "09-server-down-desktop")

        backend = LiveServer(tmp_path, port=backend.port, CHATTERBOX_ENGINE="piper")
        backend.wait_ready()
        expect(sidebar.get_by_text("Engine piper on cpu")).to_be_visible(timeout=30_000)
        expect(main.get_by_text("No narrations yet.")).to_be_visible(timeout=30_000)
    finally:
        studio.stop()
        backend.stop()

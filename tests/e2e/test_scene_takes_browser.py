"""Fixing one scene in a real browser: edit its text, regenerate it, choose the new take among
the takes side by side, and download the narration re-assembled from it. Debian's chromium
(Playwright) on the real studio, the real server speaking with Piper, all on loopback."""

from __future__ import annotations

import io
from pathlib import Path

import requests
import soundfile as sf
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.studio import StudioServer
from tests.e2e.test_studio_browser import DESKTOP, shot
from tests.helpers.wait import wait_for

ORIGINAL = "The miller opens the gate at dawn."
EDITED = (
    "The miller opens the old wooden gate at dawn, and the river carries the first boats "
    "slowly past the mill."
)


def narrated(backend: LiveServer, text: str) -> str:
    """A finished text job's id."""
    answer = requests.post(f"{backend.url}/jobs", data={"text": text, "title": "Mill"}, timeout=60)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    url = f"{backend.url}/jobs/{job_id}"
    wait_for(lambda: requests.get(url, timeout=10).json()["status"] == "completed", timeout=120)
    return job_id


def seconds_of(audio: bytes) -> float:
    return sf.info(io.BytesIO(audio)).duration


def test_edit_regenerate_choose_the_new_take_and_download_the_narration(
    studio: StudioServer, backend: LiveServer, browser: Browser
):
    job_id = narrated(backend, ORIGINAL)
    audio_url = f"{backend.url}/jobs/{job_id}/audio"
    before = seconds_of(requests.get(audio_url, params={"format": "wav"}, timeout=60).content)
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{studio.url}/?job={job_id}")
    scene = page.locator(".st-key-scene_1")
    expect(scene.locator("audio")).to_have_count(1, timeout=60_000)

    # Edit the text (Ctrl+Enter applies it) and regenerate.
    scene.get_by_text("Edit and regenerate").click()
    box = scene.get_by_label("Scene text")
    box.fill(EDITED)
    box.press("Control+Enter")
    expect(box).to_have_value(EDITED)
    scene.get_by_role("button", name="Regenerate").click()
    # (Its toast is gone in a few seconds, too soon to wait on under load: the take is the proof.)

    # The take made for the edit appears beside the first one, chosen as soon as it is made.
    first, new = page.locator(".st-key-take_1_1"), page.locator(".st-key-take_1_2")
    expect(new).to_be_visible(timeout=120_000)
    expect(first.locator("audio")).to_have_count(1)
    expect(new.locator("audio")).to_have_count(1)
    expect(new.get_by_text("after an edit", exact=False)).to_be_visible()
    shot(page, "10-scene-takes-side-by-side-desktop", at=".st-key-take_1_2")

    # Go back to the first take, then choose the new one again: each choice re-assembles.
    first.get_by_role("button", name="Use this take").click()
    expect(first.get_by_text("chosen")).to_be_visible(timeout=60_000)
    assert requests.get(f"{backend.url}/jobs/{job_id}", timeout=10).json()["scenes"][0]["take"] == 1
    new.get_by_role("button", name="Use this take").click()
    expect(new.get_by_text("chosen")).to_be_visible(timeout=60_000)
    expect(new.get_by_role("button", name="Use this take")).to_be_disabled()
    job = requests.get(f"{backend.url}/jobs/{job_id}", timeout=10).json()
    assert (job["scenes"][0]["take"], job["scenes"][0]["stale"]) == (2, False)
    assert job["scenes"][0]["text"] == EDITED

    # The narration downloaded from the studio is the one re-assembled from the new take.
    button = page.get_by_role("button", name="Download WAV")
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        button.click()
    wav = Path(download.value.path()).read_bytes()
    served = requests.get(audio_url, params={"format": "wav"}, timeout=60).content
    assert seconds_of(wav) == seconds_of(served)
    assert seconds_of(wav) > before + 1.0  # the edited scene says much more than the first
    subtitles = requests.get(f"{backend.url}/jobs/{job_id}/subtitles", timeout=30).text
    assert "the river carries the first boats" in subtitles
    context.close()

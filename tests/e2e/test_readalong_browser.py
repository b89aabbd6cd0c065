"""The studio's read-along in a real browser: chromium (Playwright) on the real Streamlit app and
the real server speaking with Piper. While the finished narration plays, the highlight moves on
to later sentences, each while the audio is inside that sentence's cue, and the page region of
the scene being read is in view."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.studio import StudioServer
from tests.helpers.pdfs import pdf_from_pages

PAGES = [
    "The lamp was lit at dusk. Nobody came to the door. The wind moved the curtains.",
    "Morning came grey and slow. A cart rolled past the gate. The dog did not bark.",
]


def finished_job(backend: LiveServer) -> str:
    job = backend.narrated("evening.pdf", pdf_from_pages(PAGES))
    assert job["status"] == "completed", job
    return job["id"]


def test_the_highlight_follows_the_narration_to_later_sentences(
    studio: StudioServer, backend: LiveServer, browser: Browser
):
    job_id = finished_job(backend)
    cues = requests.get(f"{backend.url}/jobs/{job_id}/subtitles?format=vtt", timeout=10).text
    assert "s1-0" in cues
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{studio.url}/?job={job_id}")
    page.get_by_text("Read along").click()
    frame = page.frame_locator(".st-key-readalong iframe")
    first = frame.locator("#s1-0")
    expect(first).to_have_class("current", timeout=60_000)  # before playing: the first sentence
    expect(frame.locator("#page")).to_have_attribute("src", re.compile(r"^data:image/png"))
    first_region = frame.locator("#page").get_attribute("src")

    frame.locator("#narration").evaluate("audio => audio.play()")
    # Two sentences on: the highlight has moved past the first one while the audio plays.
    expect(frame.locator("#s1-2")).to_have_class("current", timeout=60_000)
    state = frame.locator("body").evaluate(
        """body => {
          const audio = document.getElementById("narration");
          const current = document.querySelector("span.current");
          return {id: current.id, time: audio.currentTime, count: document.querySelectorAll(
            "span.current").length, id_of_body: body.dataset.current};
        }"""
    )
    assert state["count"] == 1 and state["id"] == state["id_of_body"]
    assert not first.evaluate("span => span.classList.contains('current')")
    starts = {}
    response = requests.get(f"{backend.url}/jobs/{job_id}", timeout=10).json()
    for scene in response["scenes"]:
        for number, mark in enumerate(scene["marks"]):
            starts[f"s{scene['idx']}-{number}"] = scene["start_seconds"] + mark["start"]
    assert state["time"] >= starts[state["id"]] - 0.3  # the highlight is not ahead of the voice
    # Later, the second page's scene is read and its region is the one in view.
    expect(frame.locator("#s2-0")).to_have_class("current", timeout=60_000)
    shown = frame.locator("#page").get_attribute("src")
    frame.locator("#narration").evaluate("audio => audio.pause()")
    assert shown and shown.startswith("data:image/png") and shown != first_region

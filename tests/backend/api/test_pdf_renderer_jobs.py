"""PDF jobs whose pages break the renderer, through the API with the fake engine: every scene is
narrated, every image fails, and this process (the server's) is the same one throughout."""

from __future__ import annotations

import os
import time

import pytest

from tests.corpus.bad_inputs import RENDERER_CORPUS, RendererCase
from tests.helpers.wait import wait_for

DEADLINE = 3.0


@pytest.mark.parametrize("case", RENDERER_CORPUS, ids=[case.name for case in RENDERER_CORPUS])
def test_a_job_of_a_pdf_that_breaks_the_renderer_narrates_every_scene_without_images(
    make_client, case: RendererCase
):
    client = make_client(first_page_timeout_seconds=DEADLINE, pdf_memory_mb=1024)
    pid = os.getpid()
    started = time.monotonic()
    response = client.post("/jobs", files={"file": ("book.pdf", case.build(), "application/pdf")})
    assert response.status_code == 202, response.text
    job_url = f"/jobs/{response.json()['id']}"

    def settled() -> dict | None:
        job = client.get(job_url).json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    job = wait_for(settled, timeout=60, interval=0.05)
    seconds = time.monotonic() - started

    assert job["status"] == "completed", job
    assert job["scenes"] and all(s["audio_status"] == "completed" for s in job["scenes"])
    assert {s["image_status"] for s in job["scenes"]} == {"failed"}
    assert seconds < DEADLINE * len(job["scenes"]) + 30  # at most one deadline per scene
    assert os.getpid() == pid
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("case", RENDERER_CORPUS, ids=[case.name for case in RENDERER_CORPUS])
def test_a_pdf_that_breaks_the_renderer_still_previews_its_text_at_once(
    make_client, case: RendererCase
):
    client = make_client(first_page_timeout_seconds=DEADLINE)
    response = client.post(
        "/pdf/preview", files={"file": ("book.pdf", case.build(), "application/pdf")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["pages"][0]["text"].startswith("The river runs past the old mill")

"""The speaker check of job scenes with chatterbox-tts 0.1.7's real voice encoder, through our HTTP
API, on the random-weight checkpoint (see conftest.py).

Random weights give no meaningful score, so the test asks only that a real, finite cosine is
computed and stored for the scene. The retake path is forced by the server's instrument: the
scene's first check answers -1.0 (FORCE_LOW_SIMILARITY_EVERY=2); its re-take gets the real score,
which passes a minimum of -0.5 (the voice encoder ends in a ReLU, so its cosines are >= 0).
"""

from __future__ import annotations

import math

import pytest
import requests

from tests.chatterbox.conftest import real_scores
from tests.helpers.wait import wait_for

# One scene, two takes: each take costs tens of seconds of CPU even at 16 speech tokens.
TEXT = "The speaker check hears this scene twice."


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory):
    scores = tmp_path_factory.mktemp("speaker-check") / "scores.log"
    server = start_server(
        SIMILARITY_LOG=str(scores),
        FORCE_LOW_SIMILARITY_EVERY="2",
        CHATTERBOX_SPEAKER_MIN_SIMILARITY="-0.5",
        CHATTERBOX_QUALITY_RETAKES="2",
    )
    server.scores = scores
    return server


@pytest.fixture(scope="module")
def job(server) -> dict:
    voice = server.add_voice("dora", 170.0)
    created = server.post("/jobs", data={"text": TEXT, "voice": voice, "seed": "11"})
    assert created.status_code == 202, created.text
    url = f"{server.url}/jobs/{created.json()['id']}"

    def finished() -> dict | None:
        body = requests.get(url, timeout=10).json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_for(finished, timeout=280, interval=0.5)  # within pytest-timeout's 300 s


def test_the_scene_of_a_job_stores_a_finite_similarity_visible_in_the_job_status(job):
    assert job["status"] == "completed", job
    [scene] = job["scenes"]
    similarity = scene["speaker_similarity"]
    assert isinstance(similarity, float) and math.isfinite(similarity)
    assert -1.0 <= similarity <= 1.0
    assert scene["quality"]["speaker_min_similarity"] == -0.5


def test_a_forced_low_first_score_retakes_the_scene_and_keeps_the_real_passing_take(server, job):
    scores = real_scores(server.scores)
    [scene] = job["scenes"]

    assert len(scores) == 2  # the forced failure, then a pass; no third take
    assert all(isinstance(score, float) and math.isfinite(score) for score in scores)
    assert scene["quality"]["takes"] == 2
    # What the scene keeps is its re-take's real score, not the forced -1.0 of its first take.
    assert scene["speaker_similarity"] == scores[1]

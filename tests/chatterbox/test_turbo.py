"""Chatterbox Turbo on its random-weight checkpoint, through HTTP, with what the original model's
tests prove for it (tests/chatterbox/test_real_server.py, test_speaker_check.py) proved for Turbo
too: the low-VRAM mode, the conditionals cache (in memory and on disk, across an unload), the
out-of-memory split into two halves, and a job scene that fails the speaker check repaired by
voice conversion (CHATTERBOX_SPEAKER_REPAIR=convert) instead of a whole re-take.

One server, Turbo alone in its cache, low-VRAM on: the speaker check and the repair run with
T3 and the flow in bfloat16, as they would on a small card."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.chatterbox.conftest import SAMPLES_PER_TOKEN, TOKENS, real_scores
from tests.helpers.audio import clip_bytes
from tests.helpers.wait import wait_for

TEXT = "Hello there, this is a test."
SILENCE_TOKENS = 3  # ChatterboxTurboTTS.generate appends three S3GEN_SIL tokens to each call


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory, turbo_checkpoint):
    cache = tmp_path_factory.mktemp("turbo_cache")
    (cache / "turbo").symlink_to(turbo_checkpoint, target_is_directory=True)
    scores = tmp_path_factory.mktemp("turbo-speaker-check") / "scores.log"
    server = start_server(
        model_dir=cache,
        CHATTERBOX_MODEL="turbo",
        CHATTERBOX_LOW_VRAM="on",
        INJECT_OOM_OVER_CHARS="60",
        SIMILARITY_LOG=str(scores),
        FORCE_LOW_SIMILARITY_EVERY="2",  # each scene's first check fails, its second is real
        CHATTERBOX_SPEAKER_MIN_SIMILARITY="-0.5",
        CHATTERBOX_SPEAKER_REPAIR="convert",
        CHATTERBOX_QUALITY_RETAKES="2",
    )
    server.scores = scores
    return server


@pytest.fixture(scope="module")
def voice(server) -> str:
    """A 7 s clip (6 s of voice in 0.5 s of silence each side): Turbo wants more than 5 s."""
    clip = clip_bytes(6.0, pitch=150.0)
    response = server.post("/voices", files={"file": ("erin.wav", clip)}, data={"name": "erin"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def speak(server, text: str = TEXT, **body) -> tuple[requests.Response, np.ndarray]:
    response = server.post("/tts", json={"text": text, **body})
    assert response.status_code == 200, response.text
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24000
    assert response.headers["x-tts-model"] == "turbo"
    return response, samples


def test_low_vram_mode_runs_turbos_t3_and_flow_in_bfloat16_with_finite_output(server, voice):
    _, builtin = speak(server, seed=5)
    response, cloned = speak(server, voice=voice, seed=5, exaggeration=0.7)  # embedded in bf16
    health = server.health()

    assert health["model"] == "turbo"
    assert health["precision"] == {
        "low_vram": True,
        "t3": "bfloat16",
        "flow": "bfloat16",  # float16 on CUDA; bfloat16 where the CPU has the kernels
        "vocoder": "float32",
    }
    assert response.headers["x-params-ignored"] == "exaggeration"
    for samples in (builtin, cloned):
        assert len(samples) == (TOKENS + SILENCE_TOKENS) * SAMPLES_PER_TOKEN
        assert np.isfinite(samples).all()


def test_a_voice_is_embedded_once_kept_on_disk_and_not_embedded_again_after_an_unload(
    server, voice
):
    speak(server, voice=voice, seed=6)
    before = server.embeddings()
    speak(server, voice=voice, seed=7)  # the conditionals cache
    assert server.embeddings() == before

    assert server.post("/model/unload").json()["unloaded"] is True
    _, samples = speak(server, voice=voice, seed=8)  # reloads; the conditionals come from disk

    assert server.embeddings() == before
    assert len(samples) == (TOKENS + SILENCE_TOKENS) * SAMPLES_PER_TOKEN
    assert server.health()["precision"]["t3"] == "bfloat16"  # the reload keeps the mode


def test_out_of_memory_on_turbo_is_retried_as_two_halves_at_a_sentence(server, voice):
    text = "The first sentence is here, short. And the second one follows it."
    assert len(text) > 60  # over INJECT_OOM_OVER_CHARS: the whole text runs out of memory

    _, samples = speak(server, text=text, voice=voice, seed=4)

    assert len(samples) > 2 * TOKENS * SAMPLES_PER_TOKEN  # two generate calls and a pause
    assert "retrying in two halves" in server.log_path.read_text()


def test_a_scene_failing_the_speaker_check_is_repaired_by_voice_conversion(server, voice):
    created = server.post(
        "/jobs", data={"text": "The speaker check hears this scene.", "voice": voice, "seed": "11"}
    )
    assert created.status_code == 202, created.text
    url = f"/jobs/{created.json()['id']}"
    job = wait_for(
        lambda: (j := server.get(url).json())["status"] in ("completed", "failed") and j,
        timeout=280,
        interval=0.5,
    )

    assert job["status"] == "completed", job
    [scene] = job["scenes"]
    scores = real_scores(server.scores)
    assert len(scores) == 2  # the forced failure of the take, then its converted copy's pass
    assert all(isinstance(score, float) and math.isfinite(score) for score in scores)
    assert scene["quality"]["repair"] == "voice_conversion"
    assert scene["quality"]["takes"] == 1  # no whole re-take
    assert scene["speaker_similarity"] == scores[1]
    assert job["progress"]["voice_converted"] == 1
    assert job["progress"]["retaken"] == 0

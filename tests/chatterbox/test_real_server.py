"""chatterbox-tts 0.1.7 through our HTTP API: load, clone, cache, keep voices apart, unload, reload,
survive an out-of-memory, and the low-VRAM mode. The weights are random (see conftest.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from tests.chatterbox.conftest import SAMPLES_PER_TOKEN, TOKENS

TEXT = "Hello there, this is a test."


def speak(server, **body) -> np.ndarray:
    response = server.post("/tts", json={"text": TEXT, **body})
    assert response.status_code == 200, response.text
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24000
    assert response.headers["x-tts-engine"] == "chatterbox"
    return samples


def rss(server) -> int:
    """The server's RSS and its engine host's: everything the model costs in RAM."""
    health = server.health()
    return health["memory"]["rss_bytes"] + (health["engine_host"]["rss_bytes"] or 0)


@pytest.fixture(scope="module")
def server(start_server):
    return start_server(INJECT_OOM_OVER_CHARS="60")


@pytest.fixture(scope="module")
def cold_rss(server) -> int:
    """RSS of the started server and its host before any load, torch and chatterbox imported
    (in the host)."""
    return rss(server)


@pytest.fixture(scope="module")
def voices(server, cold_rss) -> dict[str, str]:
    return {"alice": server.add_voice("alice", 140.0), "bob": server.add_voice("bob", 230.0)}


def test_health_shows_chatterbox_on_cpu_with_random_test_weights(server, cold_rss):
    health = server.health()

    assert (health["engine"], health["device"], health["state"]) == (
        "chatterbox",
        "cpu",
        "unloaded",
    )
    assert health["weights"] == "random-test"
    assert health["can_clone"] is True
    assert health["sample_rate"] == 24000


def test_a_loaded_voice_speaks_24khz_audio_of_exactly_the_forced_tokens(server, voices):
    loaded = server.post("/load_voice", json={"voice_id": voices["alice"]})
    assert loaded.status_code == 200, loaded.text

    samples = speak(server, seed=1)

    assert len(samples) == TOKENS * SAMPLES_PER_TOKEN
    assert np.isfinite(samples).all()
    assert np.abs(samples).max() > 0
    assert server.health()["precision"]["t3"] == "float32"


def test_a_second_request_with_the_same_voice_does_not_embed_it_again(server, voices):
    before = server.embeddings()

    speak(server, voice=voices["alice"], seed=2)

    assert before == 1
    assert server.embeddings() == 1


def test_two_voices_used_alternately_never_leak_into_each_other(server, voices):
    alice_first = speak(server, voice=voices["alice"], seed=7)
    bob = speak(server, voice=voices["bob"], seed=7)
    alice_again = speak(server, voice=voices["alice"], seed=7)

    assert np.array_equal(alice_first, alice_again)  # bob's conditionals left no trace
    assert not np.allclose(alice_first, bob, atol=1e-4)  # and the voices really differ
    assert server.embeddings() == 2


def test_unload_frees_the_weights_and_the_next_request_reloads(server, voices, cold_rss):
    loaded_rss = rss(server)
    first = server.post("/model/unload").json()
    unloaded_rss = rss(server)

    assert first["unloaded"] is True
    assert server.health()["state"] == "unloaded"
    # The first synthesis leaves one-time caches (compiled kernels, resamplers) in the process;
    # everything the load added beyond them is given back.
    assert loaded_rss - unloaded_rss >= 0.9 * (loaded_rss - cold_rss)

    samples = speak(server, voice=voices["bob"], seed=3)  # reloads transparently
    assert len(samples) == TOKENS * SAMPLES_PER_TOKEN
    assert server.health()["state"] == "ready"
    assert server.embeddings() == 2  # the persisted conditionals came back from disk

    server.post("/model/unload")
    assert rss(server) <= 1.10 * unloaded_rss  # back within 10% of this load's pre-load value


def test_out_of_memory_is_retried_as_two_halves_at_a_sentence(server, voices):
    text = "The first sentence is here, short. And the second one follows it."
    assert len(text) > 60  # over INJECT_OOM_OVER_CHARS: the whole text runs out of memory

    response = server.post("/tts", json={"text": text, "voice": voices["alice"], "seed": 4})
    samples, _ = sf.read(io.BytesIO(response.content), dtype="float32")

    assert response.status_code == 200, response.text
    assert len(samples) > 2 * TOKENS * SAMPLES_PER_TOKEN  # two generate calls and a pause
    assert "retrying in two halves" in server.log_path.read_text()


def test_out_of_memory_on_an_unsplittable_text_is_a_clear_503(server, voices):
    response = server.post("/tts", json={"text": "x" * 70, "voice": voices["alice"]})

    assert response.status_code == 503
    assert response.json()["error"] == "gpu_out_of_memory"
    assert "CHATTERBOX_LOW_VRAM" in response.json()["solution"]
    assert server.health()["device"] == "cpu"


def test_low_vram_mode_runs_t3_and_the_flow_in_bfloat16_with_finite_output(start_server):
    low = start_server(CHATTERBOX_LOW_VRAM="on")
    voice = low.add_voice("carol", 180.0)

    builtin = speak(low, seed=5, exaggeration=0.7)
    cloned = speak(low, voice=voice, seed=5, exaggeration=0.7)  # embedded with T3 in bfloat16
    health = low.health()

    assert health["precision"] == {
        "low_vram": True,
        "t3": "bfloat16",
        "flow": "bfloat16",  # float16 on CUDA; bfloat16 where the CPU has the kernels
        "vocoder": "float32",
    }
    for samples in (builtin, cloned):
        assert len(samples) == TOKENS * SAMPLES_PER_TOKEN
        assert np.isfinite(samples).all()

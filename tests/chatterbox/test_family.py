"""The whole family through HTTP, on random-weight checkpoints of each model in the exact
`from_local` format (studio_tools.make_test_checkpoint): one server whose cache holds Original,
Turbo and Multilingual, switching between them as requests name them. Turbo's tags (read from
its checkpoint's tokenizer) are accepted and an unknown one refused; a 4 s reference is refused
for Turbo and a 6 s one speaks; Multilingual speaks three languages and a text too short for
0.1.7; voice conversion keeps the recording's length; jobs and /v1 name their model; unload and
reload (of Multilingual; the others' are in test_real_server.py and test_turbo.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from tests.chatterbox.conftest import SAMPLES_PER_TOKEN, TOKENS
from tests.helpers.audio import clip_bytes
from tests.helpers.wait import wait_for


@pytest.fixture(scope="module")
def server(start_server, family_cache):
    return start_server(CHATTERBOX_MODEL="turbo", model_dir=family_cache)


def speak(server, **body):
    response = server.post("/tts", json={"text": "Hello there, this is a test.", **body})
    assert response.status_code == 200, response.text
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24000
    return response, samples


def upload(server, name: str, seconds: float) -> str:
    clip = clip_bytes(seconds, pitch=170.0)
    response = server.post("/voices", files={"file": (f"{name}.wav", clip)}, data={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_the_server_lists_the_three_models_and_starts_with_turbo(server):
    health = server.health()
    assert health["model"] == "turbo"
    assert [m["id"] for m in health["models"]] == [
        "chatterbox",
        "chatterbox-turbo",
        "chatterbox-multilingual",
        "piper",
    ]
    assert "[laugh]" in health["tags"]  # read from the checkpoint's added tokens
    assert health["ignored_params"] == ["cfg_weight", "exaggeration"]
    ids = [m["id"] for m in server.get("/v1/models").json()["data"]]
    assert "chatterbox-turbo" in ids


def test_turbo_speaks_its_tags_and_refuses_an_unknown_one(server):
    response, samples = speak(server, text="Well [laugh] that was fun.", model="turbo")
    assert response.headers["x-tts-model"] == "turbo"
    assert "x-tags-removed" not in response.headers
    assert len(samples) > 0
    refused = server.post("/tts", json={"text": "Well [giggles] then.", "model": "turbo"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "unknown_tag"
    assert "[laugh]" in refused.json()["known_tags"]


def test_turbo_refuses_a_4_s_reference_and_speaks_with_a_6_s_one(server):
    short, long = upload(server, "four", 4.0), upload(server, "six", 6.0)
    refused = server.post("/tts", json={"text": "Hello.", "model": "turbo", "voice": short})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "voice_too_short_for_model"
    assert refused.json()["min_seconds"] == 5.0
    _, samples = speak(server, model="turbo", voice=long)
    assert len(samples) == pytest.approx(TOKENS * SAMPLES_PER_TOKEN, rel=0.35)


@pytest.mark.parametrize(("language", "text"), [
    ("de", "Guten Tag, wie geht es Ihnen heute?"),
    ("fr", "Bonjour, comment allez-vous aujourd'hui?"),
    ("es", "Hola, ¿cómo estás hoy? Tengo 3 libros."),
])  # fmt: skip
def test_multilingual_speaks_three_languages(server, language, text):
    response, samples = speak(server, text=text, language=language)
    assert response.headers["x-tts-model"] == "multilingual"  # the language chose it
    assert len(samples) > 0


def test_multilingual_survives_a_text_too_short_for_0_1_7(server):
    _, samples = speak(server, text="Ja.", language="de", model="multilingual")
    assert len(samples) > 0


def test_switching_is_recorded_and_the_original_speaks_with_tags_removed(server):
    response, _ = speak(server, text="Well [laugh] that is it.", model="original")
    assert response.headers["x-tts-model"] == "original"
    assert response.headers["x-tags-removed"] == "[laugh]"
    health = server.health()
    assert health["model"] == "original"
    assert health["switches"] >= 1
    assert health["last_switch"]["to"] == "original"


def test_voice_conversion_keeps_the_recordings_length(server):
    voice = upload(server, "target", 6.0)
    recording = clip_bytes(2.0, pitch=120.0)  # 2 s of voice inside 0.5 s of silence each side
    source, source_rate = sf.read(io.BytesIO(recording), dtype="float32")
    response = server.post(
        "/voice-conversion",
        files={"file": ("take.wav", recording)},
        data={"voice": voice, "model": "original"},
    )
    assert response.status_code == 200, response.text
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24000
    # S3Gen speaks 25 speech tokens a second of the recording, 960 samples each at 24 kHz.
    assert len(source) / source_rate == 3.0
    assert len(samples) == 3.0 * 25 * SAMPLES_PER_TOKEN
    assert response.headers["x-audio-seconds"] == "3.000"


def test_v1_and_jobs_name_their_model(server):
    response = server.post(
        "/v1/audio/speech",
        json={"model": "chatterbox-turbo", "input": "Hi [sigh] there.", "voice": "alloy"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-tts-model"] == "turbo"
    created = server.post(
        "/jobs", data={"text": "Guten Tag. Wie geht es?", "model": "multilingual"}
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    job = wait_for(
        lambda: (
            (j := server.get(f"/jobs/{job_id}").json())["status"] in ("completed", "failed") and j
        ),
        timeout=600,
        interval=0.5,
    )
    assert job["status"] == "completed", job


def test_unload_and_reload_multilingual(server):
    """The Original's unload and reload is test_real_server.py's, Turbo's test_turbo.py's."""
    speak(server, model="multilingual", language="de")
    unloaded = server.post("/model/unload").json()
    assert unloaded["unloaded"] is True
    assert server.health()["engine_host"]["pid"] is None
    response, _ = speak(server, model="multilingual", language="de")
    assert response.headers["x-tts-model"] == "multilingual"
    assert np.isfinite(server.health()["memory"]["rss_bytes"])

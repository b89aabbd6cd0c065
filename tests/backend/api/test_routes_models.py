"""The Chatterbox family over HTTP, with fake members in a catalog: a request that names a model
switches to it (or gets 409 with switching off), tags are checked or removed, a language picks
the Multilingual model, Turbo refuses a short reference up front, and voice conversion."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from backend.core import models
from backend.core.settings import Settings
from backend.engines.catalog import Catalog
from backend.engines.fake import FakeEngine, voice_frequency
from backend.main import create_app
from tests.helpers.api import LOCAL, assert_error
from tests.helpers.audio import dominant_hz
from tests.helpers.wait import wait_for

TAGS = ("[chuckle]", "[laugh]", "[sigh]")
TITLES = {key: (m.model_id, m.title) for key, m in models.MODELS.items()} | {
    "piper": ("piper", "Piper")
}


def family(*only: str) -> dict[str, FakeEngine]:
    engines = {
        "original": FakeEngine(name="chatterbox", model="original"),
        "turbo": FakeEngine(
            name="chatterbox",
            model="turbo",
            tags=TAGS,
            min_reference_seconds=5.0,
            ignored_params=("cfg_weight", "exaggeration"),
        ),
        "multilingual": FakeEngine(
            name="chatterbox", model="multilingual", languages=tuple(models.LANGUAGES)
        ),
        "piper": FakeEngine(name="piper", can_clone=False, can_convert_voice=False),
    }
    return {key: engines[key] for key in (only or engines)}


@pytest.fixture
def make(tmp_path):
    clients = []

    def build(engines=None, default="original", **overrides) -> TestClient:
        engines = engines or family()
        catalog = Catalog({k: (lambda e=e: e) for k, e in engines.items()}, default, TITLES)
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path / "data",
            model_cache_dir=tmp_path / "model_cache",
            load_on_startup=False,
            quality_check="off",
            **overrides,
        )
        client = TestClient(create_app(settings, catalog), raise_server_exceptions=False,
                            base_url=LOCAL)  # fmt: skip
        client.__enter__()
        client.engines = engines
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def upload_voice(client, seconds: float, name: str = "anna") -> str:
    t = np.arange(int(seconds * 24000)) / 24000
    buffer = io.BytesIO()
    sf.write(buffer, (0.4 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 24000, format="WAV")
    done = client.post("/voices", files={"file": (f"{name}.wav", buffer.getvalue())},
                       data={"name": name})  # fmt: skip
    assert done.status_code == 201, done.text
    return done.json()["id"]


def test_a_request_naming_another_model_switches_to_it_and_health_shows_the_switch(make):
    client = make()
    assert client.post("/tts", json={"text": "Hello there."}).headers["x-tts-model"] == "original"
    spoken = client.post("/tts", json={"text": "Hello [laugh] there.", "model": "turbo"})
    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["x-tts-model"] == "turbo"
    assert "x-tags-removed" not in spoken.headers  # Turbo speaks its tags
    assert client.engines["turbo"].calls[-1][0] == "Hello [laugh] there."
    assert not client.engines["original"].is_loaded()  # one resident at a time
    health = client.get("/health").json()
    assert health["model"] == "turbo"
    assert health["tags"] == list(TAGS)
    assert health["last_switch"]["from"] == "original"
    assert health["last_switch"]["to"] == "turbo"
    assert health["switches"] == 1
    assert [m["key"] for m in health["models"] if m["resident"]] == ["turbo"]
    # a real name works as well as a key
    again = client.post("/tts", json={"text": "Hi.", "model": "chatterbox"})
    assert again.headers["x-tts-model"] == "original"


def test_with_switching_off_another_model_is_409_and_nothing_changes(make):
    client = make(model_switch="off")
    client.post("/model/load")
    assert_error(
        client.post("/tts", json={"text": "Hello.", "model": "turbo"}),
        409,
        {
            "message": "",
            "solution": "",
            "error": "model_not_loaded",
            "model": "chatterbox-turbo",
            "loaded": "chatterbox",
        },
        says=("CHATTERBOX_MODEL_SWITCH",),
    )
    assert client.get("/health").json()["model"] == "original"
    assert client.engines["turbo"].calls == []


def test_an_unknown_model_is_404_listing_the_models(make):
    response = make().post("/tts", json={"text": "Hello.", "model": "chatterbox-xl"})
    assert response.status_code == 404
    assert response.json()["error"] == "model_not_found"
    assert "chatterbox-turbo" in response.json()["message"]


def test_an_unknown_tag_on_turbo_is_422_listing_the_known_ones(make):
    client = make(default="turbo")
    assert_error(
        client.post("/tts", json={"text": "Well [giggle] then [laugh].", "model": "turbo"}),
        422,
        {
            "message": "",
            "solution": "",
            "error": "unknown_tag",
            "known_tags": list(TAGS),
            "unknown_tags": ["[giggle]"],
        },
    )
    assert client.engines["turbo"].calls == []


def test_a_model_that_would_read_tags_aloud_gets_them_removed_and_says_so(make):
    client = make()
    spoken = client.post("/tts", json={"text": "Well [laugh] that is [sigh] that."})
    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["x-tags-removed"] == "[laugh], [sigh]"
    text = client.engines["original"].calls[-1][0]
    assert "[" not in text and "laugh" not in text


def test_turbo_reports_the_knobs_it_ignores(make):
    spoken = make().post("/tts", json={"text": "Hi.", "model": "turbo", "cfg_weight": 0.9})
    assert spoken.headers["x-params-ignored"] == "cfg_weight"


def test_a_language_picks_the_multilingual_model_and_is_checked(make):
    client = make()
    spoken = client.post("/tts", json={"text": "Guten Tag.", "language": "de"})
    assert spoken.headers["x-tts-model"] == "multilingual"
    assert_error(
        client.post("/tts", json={"text": "Hola.", "language": "xx"}),
        422,
        {
            "message": "",
            "solution": "",
            "error": "unsupported_language",
            "languages": list(models.LANGUAGES),
        },
    )
    refused = client.post("/tts", json={"text": "Bonjour.", "language": "fr", "model": "turbo"})
    assert refused.status_code == 422
    assert refused.json()["languages"] == ["en"]
    assert "--model multilingual" in refused.json()["solution"]


def test_without_multilingual_a_foreign_language_is_422(make):
    client = make(family("original", "turbo"))
    refused = client.post("/tts", json={"text": "Guten Tag.", "language": "de"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "unsupported_language"


def test_turbo_refuses_a_short_reference_before_switching(make):
    client = make()
    short = upload_voice(client, 4.0, "short")
    assert_error(
        client.post("/tts", json={"text": "Hello.", "model": "turbo", "voice": short}),
        422,
        {"message": "", "solution": "", "error": "voice_too_short_for_model", "model": "turbo", "min_seconds": 5.0,
         "seconds": 4.0},
    )  # fmt: skip
    assert client.get("/health").json()["switches"] == 0
    long = upload_voice(client, 6.0, "long")
    spoken = client.post("/tts", json={"text": "Hello.", "model": "turbo", "voice": long})
    assert spoken.status_code == 200, spoken.text


def test_v1_lists_the_models_by_their_real_names_and_speaks_with_one(make):
    client = make()
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids[:4] == ["chatterbox", "chatterbox-turbo", "chatterbox-multilingual", "piper"]
    assert "tts-1" in ids
    spoken = client.post(
        "/v1/audio/speech",
        json={"model": "chatterbox-turbo", "input": "Hi [laugh].", "voice": "alloy"},
    )
    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["x-tts-model"] == "turbo"
    german = client.post(
        "/v1/audio/speech",
        json={"model": "tts-1", "input": "Guten Tag.", "voice": "alloy", "language": "de"},
    )
    assert german.headers["x-tts-model"] == "multilingual"


def test_voice_conversion_keeps_the_length_and_speaks_in_the_voice(make):
    client = make()
    voice = upload_voice(client, 4.0)
    t = np.arange(int(2.5 * 16000)) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 16000, format="WAV")
    done = client.post(
        "/voice-conversion",
        files={"file": ("take.wav", buffer.getvalue())},
        data={"voice": voice, "format": "wav"},
    )
    assert done.status_code == 200, done.text
    samples, rate = sf.read(io.BytesIO(done.content), dtype="float32")
    assert len(samples) / rate == pytest.approx(2.5, abs=0.01)
    assert dominant_hz(samples, rate) == pytest.approx(voice_frequency(voice), abs=3)
    assert done.headers["x-voice"] == voice


def test_voice_conversion_on_piper_alone_is_400_with_the_way_out(make):
    client = make(family("piper"), default="piper")
    done = client.post(
        "/voice-conversion",
        files={"file": ("take.wav", b"RIFF....")},
        data={"voice": "builtin"},
    )
    assert_error(
        done,
        400,
        {"message": "", "solution": "", "error": "voice_conversion_unavailable"},
        says=("setup_env.py",),
    )


def test_voice_conversion_refuses_what_a_voice_upload_refuses(make):
    client = make()
    done = client.post(
        "/voice-conversion",
        files={"file": ("notes.txt", b"just text")},
        data={"voice": "builtin"},
    )
    assert done.status_code == 415
    assert done.json()["error"] == "unsupported_audio_format"


def test_a_job_keeps_its_model_and_each_scene_switches_to_it(make):
    client = make()
    created = client.post("/jobs", data={"text": "One sentence. [laugh] Two.", "model": "turbo"})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    done = wait_for(lambda: (j := client.get(f"/jobs/{job_id}").json())["status"] == "completed"
                    and j)  # fmt: skip
    assert done["status"] == "completed"
    assert client.engines["turbo"].calls  # the job's scenes were Turbo's
    assert not [c for c in client.engines["original"].calls if "sentence" in c[0]]
    assert any("[laugh]" in text for text, _ in client.engines["turbo"].calls)


def test_a_job_is_refused_up_front_for_what_its_model_cannot_do(make):
    client = make()
    bad_tag = client.post("/jobs", data={"text": "Hi [giggle].", "model": "turbo"})
    assert bad_tag.status_code == 422
    assert bad_tag.json()["error"] == "unknown_tag"
    bad_language = client.post("/jobs", data={"text": "Hi.", "language": "xx"})
    assert bad_language.status_code == 422
    assert bad_language.json()["error"] == "unsupported_language"
    assert client.get("/jobs").json()["jobs"] == []


def test_a_voice_has_a_language_and_another_one_turns_guidance_off(make):
    client = make()
    t = np.arange(4 * 24000) / 24000
    buffer = io.BytesIO()
    sf.write(buffer, (0.4 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 24000, format="WAV")
    added = client.post("/voices", files={"file": ("d.wav", buffer.getvalue())},
                        data={"name": "dora", "language": "DE"})  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["language"] == "de"
    voice = added.json()["id"]
    same = client.post("/tts", json={"text": "Hallo.", "language": "de", "voice": voice})
    assert "x-cfg-weight" not in same.headers
    other = client.post("/tts", json={"text": "Hola.", "language": "es", "voice": voice})
    assert other.headers["x-cfg-weight"].startswith("0")
    chosen = client.post(
        "/tts", json={"text": "Hola.", "language": "es", "voice": voice, "cfg_weight": 0.3}
    )
    assert "x-cfg-weight" not in chosen.headers  # the request's own value is kept
    refused = client.post("/voices", files={"file": ("e.wav", buffer.getvalue())},
                          data={"language": "xx"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error"] == "unsupported_language"


def test_a_jobs_language_is_detected_and_its_numbers_are_spoken_in_it(make):
    client = make()
    text = "Heute habe ich 3 Bücher gekauft, und morgen lese ich sie alle mit meiner Schwester."
    created = client.post("/jobs", data={"text": text})
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["params"]["language"] == "de"
    assert job["params"]["model"] == "multilingual"
    wait_for(lambda: client.get(f"/jobs/{job['id']}").json()["status"] == "completed")
    spoken = [t for t, _ in client.engines["multilingual"].calls]
    assert any("drei" in t for t in spoken), spoken
    assert client.get(f"/jobs/{job['id']}").json()["scenes"][0]["text"] == text  # as written

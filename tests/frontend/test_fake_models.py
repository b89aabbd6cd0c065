"""The fake's models (tests/frontend/fake_models.py) keep the server's contract: the real server
serving the Chatterbox family as fake engines (tests/frontend/family_server.py) behind a real
ApiClient, and FakeApi with the same family, answer alike: /health's models and switches, what
speech says of itself, jobs' model and language, voice conversion, and every refusal with its
code, status and body."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import soundfile as sf

from frontend.api_client import ApiClient, ApiError
from tests.frontend.answers import conforms
from tests.frontend.fake_api import FakeApi
from tests.frontend.family_server import KEYS, family_serving
from tests.helpers.audio import clip_bytes

ENGINE_INFO = {"fake"}  # FakeEngine.info()'s own key in the real /health
SAME = ("model", "models", "model_switch", "tags", "languages", "ignored_params",
        "min_reference_seconds", "can_convert_voice", "can_clone", "switching")  # fmt: skip


@pytest.fixture
def both(tmp_path) -> Iterator[tuple[ApiClient, FakeApi]]:
    fake = FakeApi()
    fake.use_family(*KEYS)
    with family_serving(tmp_path) as real:
        yield real, fake


@pytest.fixture(scope="module")
def refusing_server(tmp_path_factory) -> Iterator[ApiClient]:
    """One server for the refusals: each is refused before anything changes."""
    with family_serving(tmp_path_factory.mktemp("family-refusals")) as real:
        yield real


@pytest.fixture
def refusing(refusing_server: ApiClient) -> tuple[ApiClient, FakeApi]:
    fake = FakeApi()
    fake.use_family(*KEYS)
    return refusing_server, fake


def _same(health: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in health.items() if key in SAME}


def test_health_lists_the_family_and_what_the_loaded_model_does_alike(both):
    real, fake = both

    conforms("health", real.health(), extras=ENGINE_INFO)
    conforms("health", fake.health())
    assert _same(fake.health()) == _same(real.health())
    assert real.health()["last_switch"] is fake.health()["last_switch"] is None


def test_speaking_with_another_model_switches_both_and_health_tells_of_it(both):
    spoken = [api.speak("Hi [laugh] there.", None, {}, model="chatterbox-turbo") for api in both]

    assert [speech.model for speech in spoken] == ["turbo", "turbo"]
    assert spoken[0].tags_removed == spoken[1].tags_removed == ()  # Turbo speaks its tags
    real, fake = (api.health() for api in both)
    assert _same(fake) == _same(real)
    for health, extras in ((real, ENGINE_INFO), (fake, ())):
        conforms("health", health, extras=extras)
        assert health["switches"] == 1
        assert {k: health["last_switch"][k] for k in ("from", "to")} == {
            "from": "original",
            "to": "turbo",
        }
        assert health["last_switch"]["seconds"] >= 0


def test_the_tags_removed_and_the_knobs_ignored_are_told_alike(both):
    removed = [api.speak("Well [laugh] then [sigh] so [laugh].", None, {}) for api in both]
    ignored = [api.speak("Hi.", None, {"cfg_weight": 0.9}, model="turbo") for api in both]

    assert removed[0].tags_removed == removed[1].tags_removed == ("[laugh]", "[sigh]")
    assert ignored[0].params_ignored == ignored[1].params_ignored == ("cfg_weight",)
    assert [s.voice for s in removed] == ["builtin", "builtin"]


def test_a_language_takes_an_unnamed_request_to_multilingual_on_both(both):
    spoken = [api.speak("Guten Tag.", None, {}, language="de") for api in both]

    assert [speech.model for speech in spoken] == ["multilingual", "multilingual"]


def test_a_job_keeps_its_model_and_language_alike(both):
    jobs = [
        api.create_job(text="Guten Tag. Wie geht es?", model="multilingual", language="de")
        for api in both
    ]
    unnamed = [api.create_job(text="Hello there.", model="turbo") for api in both]

    for job in jobs + unnamed:
        conforms("create_job", job)
    assert jobs[1]["params"] == jobs[0]["params"]
    assert jobs[0]["params"]["model"] == "multilingual"
    assert unnamed[1]["params"] == unnamed[0]["params"]


def test_a_recording_is_revoiced_alike_in_length_voice_and_model(both):
    take = clip_bytes(2.5)
    voices = [api.add_voice("anna.wav", clip_bytes(6.0), "Anna")["id"] for api in both]

    done = [
        api.convert_voice("take.wav", take, voice, "wav")
        for api, voice in zip(both, voices, strict=True)
    ]

    assert [speech.voice for speech in done] == voices
    assert [speech.model for speech in done] == ["original", "original"]
    assert done[1].seconds == pytest.approx(done[0].seconds, abs=0.01)
    lengths = [sf.info(io.BytesIO(speech.audio)).duration for speech in done]
    assert lengths[1] == pytest.approx(lengths[0], abs=0.01)


def _short_voice(api) -> str:
    return api.add_voice("short.wav", clip_bytes(4.0), "Short")["id"]


REFUSALS: dict[str, Callable[[Any], Any]] = {
    "an unknown tag on turbo": lambda api: api.speak("Well [giggle].", None, {}, model="turbo"),
    "an unknown language": lambda api: api.speak("Hola.", None, {}, language="xx"),
    "a foreign language on turbo": lambda api: api.speak(
        "Bonjour.", None, {}, model="turbo", language="fr"
    ),
    "an unknown model": lambda api: api.speak("Hi.", None, {}, model="chatterbox-xl"),
    "a voice too short for turbo": lambda api: api.speak(
        "Hi.", _short_voice(api), {}, model="turbo"
    ),
    "a job with an unknown tag on turbo": lambda api: api.create_job(
        text="Well [giggle].", model="turbo"
    ),
    "a job in a language turbo lacks": lambda api: api.create_job(
        text="Bonjour.", model="turbo", language="fr"
    ),
    "re-voicing what is not audio": lambda api: api.convert_voice("take.wav", b"hello", "builtin"),
    "re-voicing an empty file": lambda api: api.convert_voice("take.wav", b"", "builtin"),
    "re-voicing a text file": lambda api: api.convert_voice("notes.txt", b"hello", "builtin"),
    "re-voicing with piper": lambda api: api.convert_voice(
        "take.wav", clip_bytes(2.0), "builtin", model="piper"
    ),
    "re-voicing into a voice too short for turbo": lambda api: api.convert_voice(
        "take.wav", clip_bytes(2.0), _short_voice(api), model="turbo"
    ),
}
SAME_WORDS = {  # refusals whose message the fake words as the server does
    "an unknown tag on turbo", "an unknown language", "a foreign language on turbo",
    "an unknown model", "re-voicing with piper", "re-voicing an empty file",
    "re-voicing what is not audio", "a job with an unknown tag on turbo",
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_fake_refuses_what_the_server_refuses_with_its_code_status_and_body(
    refusing, case: str
):
    refusals = []
    for api in refusing:
        with pytest.raises(ApiError) as caught:
            REFUSALS[case](api)
        error = caught.value
        words = (error.message, error.solution) if case in SAME_WORDS else bool(error.solution)
        details = {k: v for k, v in error.details.items() if k != "seconds"}  # clips differ
        refusals.append((error.code, error.status, words, details))

    assert refusals[1] == refusals[0]
    assert refusing[0].health()["switches"] == 0  # refused before any switch


def test_with_switching_off_both_refuse_another_model_alike(tmp_path):
    fake = FakeApi()
    fake.use_family(*KEYS)
    fake.models.model_switch = "off"
    with family_serving(tmp_path, model_switch="off") as real:
        assert _same(fake.health()) == _same(real.health())
        refusals = []
        for api in (real, fake):
            with pytest.raises(ApiError) as caught:
                api.speak("Hello.", None, {}, model="turbo")
            error = caught.value
            refusals.append((error.code, error.status, error.message, error.details))
            assert api.health()["model"] == "original"

    assert refusals[1] == refusals[0]


def test_a_server_with_piper_alone_refuses_to_revoice_alike(tmp_path):
    from tests.frontend.piper_server import piper_serving

    with piper_serving(tmp_path) as (real, _):
        refusals = []
        for api in (real, FakeApi()):
            assert api.health()["can_convert_voice"] is False
            with pytest.raises(ApiError) as caught:
                api.convert_voice("take.wav", clip_bytes(2.0), "builtin")
            refusals.append((caught.value.code, caught.value.status, caught.value.message))

    assert refusals[1] == refusals[0]

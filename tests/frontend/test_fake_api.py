"""FakeApi keeps the server's contract: the same calls give the same JSON keys and the same errors.

The real side is the backend on a loopback port (uvicorn, fake engine) behind a real ApiClient,
so a change to the server's bodies fails here before the page tests drift from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from frontend.api_client import ApiClient, ApiError
from tests.frontend.fake_api import FakeApi
from tests.frontend.piper_server import SECOND_VOICE, piper_serving
from tests.helpers.audio import clip_bytes
from tests.helpers.live import serving
from tests.helpers.pdfs import text_pdf

ENGINE_INFO = {"fake"}  # /health's engine-specific extras (FakeEngine.info()); each engine its own
PARAMS = {"rate": 1.0, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ApiClient]:
    data = tmp_path_factory.mktemp("fake-contract")
    settings = Settings(
        _env_file=None, data_dir=data, model_cache_dir=data / "model_cache", quality_check="off"
    )
    with serving(create_app(settings, FakeEngine(can_clone=True))) as url:
        yield ApiClient(url)


@pytest.fixture
def both(server: ApiClient) -> tuple[ApiClient, FakeApi]:
    return server, FakeApi(engine="chatterbox")


PUBLIC = sorted(
    name for name, member in vars(ApiClient).items() if callable(member) and name[0] != "_"
)


@pytest.mark.parametrize("name", PUBLIC)
def test_the_fake_has_each_public_method_of_the_client_with_its_signature(name: str):
    real = inspect.signature(getattr(ApiClient, name))
    fake = inspect.signature(getattr(FakeApi, name))

    assert [(p.name, p.kind, p.default) for p in fake.parameters.values()] == [
        (p.name, p.kind, p.default) for p in real.parameters.values()
    ]


def test_the_fake_has_the_clients_attributes():
    real, fake = ApiClient("http://127.0.0.1:9"), FakeApi()

    for name in ("base_url", "timeout", "slow_timeout"):
        assert type(getattr(fake, name)) is type(getattr(real, name)), name


def test_health_has_the_servers_keys(both):
    real, fake = (api.health() for api in both)

    assert set(real) - set(fake) == ENGINE_INFO
    assert set(fake) <= set(real)
    assert set(fake["memory"]) == set(real["memory"])
    assert fake["limits"] == real["limits"]  # the fake's defaults are the server's


def test_model_load_and_unload_answer_with_the_servers_keys(both):
    real, fake = both

    assert set(fake.load_model()) == set(real.load_model())
    real_unload, fake_unload = real.unload_model(), fake.unload_model()
    assert set(fake_unload) == set(real_unload)
    for reading in ("before", "after", "freed"):
        assert set(fake_unload[reading]) == set(real_unload[reading]), reading


def test_voice_calls_answer_with_the_servers_keys(both):
    real, fake = both
    clip = clip_bytes(5.0)

    real_voice, fake_voice = real.add_voice("me.wav", clip, "Me"), fake.add_voice("me.wav", clip)
    assert set(fake_voice) <= set(real_voice)
    assert {"id", "name", "created_at", "duration_seconds", "path"} <= set(fake_voice)
    assert set(fake.voices()) == set(real.voices())
    assert set(fake.select_voice(fake_voice["id"])) == set(real.select_voice(real_voice["id"]))
    assert fake.clear_voice() == real.clear_voice() == {"current": None}
    assert fake.voices()["current"] is real.voices()["current"] is None
    assert fake.clear_voice() == real.clear_voice()  # idempotent on both
    assert set(fake.delete_voice(fake_voice["id"])) == set(real.delete_voice(real_voice["id"]))


@pytest.fixture(scope="module")
def piper_server(tmp_path_factory) -> Iterator[ApiClient]:
    with piper_serving(tmp_path_factory.mktemp("fake-contract-piper")) as (api, _):
        yield api


@pytest.fixture
def both_piper(piper_server: ApiClient) -> tuple[ApiClient, FakeApi]:
    fake = FakeApi(engine="piper")
    fake.engine_voices = [SECOND_VOICE]
    return piper_server, fake


def test_engine_voices_are_listed_and_spoken_as_the_server_does(both_piper):
    real, fake = both_piper

    assert set(fake.voices()) == set(real.voices())
    assert fake.voices()["engine_voices"] == real.voices()["engine_voices"]
    assert fake.voices()["can_clone"] is real.voices()["can_clone"] is False
    for api in both_piper:
        assert api.speak("Hello.", SECOND_VOICE, PARAMS)
    jobs = [
        api.create_job(text="One line.", voice=SECOND_VOICE, params=PARAMS) for api in both_piper
    ]
    assert jobs[1]["voice"] == jobs[0]["voice"] == SECOND_VOICE


def test_a_stale_current_voice_is_passed_over_by_both_and_cleared(tmp_path):
    with piper_serving(tmp_path, stale_voice=True) as (real, voice_id):
        fake = FakeApi(engine="piper")
        fake.current = fake.add_voice_record("Me")["id"]

        assert real.voices()["current"] == voice_id
        for api in (real, fake):
            assert api.speak("Who speaks?", None, PARAMS)  # the built-in voice, not a 400
            assert api.create_job(text="Who narrates?", params=PARAMS)["voice"] == "builtin"
        assert fake.clear_voice() == real.clear_voice() == {"current": None}
        assert fake.voices()["current"] is real.voices()["current"] is None


PIPER_REFUSALS: dict[str, Callable[[Any], Any]] = {
    "selecting an unknown voice": lambda api: api.select_voice("nobody-00000000"),
    "selecting a library voice": lambda api: api.select_voice(
        api.add_voice("me.wav", clip_bytes(5.0))["id"]
    ),
    "speaking in an unknown voice": lambda api: api.speak("Hi.", "nobody-00000000", PARAMS),
    "speaking in a library voice": lambda api: api.speak(
        "Hi.", api.add_voice("me.wav", clip_bytes(5.0))["id"], PARAMS
    ),
}


@pytest.mark.parametrize("case", list(PIPER_REFUSALS))
def test_the_fake_refuses_what_piper_refuses_with_its_code_and_status(both_piper, case: str):
    refusals = []
    for api in both_piper:
        with pytest.raises(ApiError) as caught:
            PIPER_REFUSALS[case](api)
        refusals.append((caught.value.code, caught.value.status, bool(caught.value.solution)))

    assert refusals[1] == refusals[0]


def test_job_calls_answer_with_the_servers_keys(both):
    real, fake = both
    text = "The river runs past the mill. Children play on the bank."

    real_job, fake_job = (api.create_job(text=text, params=PARAMS) for api in both)
    assert set(fake_job) == set(real_job)
    assert set(fake_job["progress"]) == set(real_job["progress"])
    assert set(fake_job["scenes"][0]) == set(real_job["scenes"][0])
    assert set(fake.job(fake_job["id"])) == set(real.job(real_job["id"]))
    assert set(fake.jobs()[0]) == set(real.jobs()[0])
    assert set(fake.cancel_job(fake_job["id"])) == set(real.cancel_job(real_job["id"]))
    assert set(fake.retry_job(fake_job["id"])) == set(real.retry_job(real_job["id"]))
    assert set(fake.delete_job(fake_job["id"])) == set(real.delete_job(real_job["id"]))


def test_a_page_of_scenes_answers_with_the_servers_keys_and_paging(both):
    text = "The river runs past the mill. Children play on the bank. Evening turns the water gold."
    pairs = [(api, api.create_job(text=text, params=PARAMS)["id"]) for api in both]

    real, fake = (api.job_scenes(job_id, after=0, limit=1) for api, job_id in pairs)
    assert set(fake) == set(real) == {"job", "scenes", "next_after", "total", "unsettled_from"}
    assert set(fake["job"]) == set(real["job"]) and "scenes" not in fake["job"]
    assert set(fake["scenes"][0]) == set(real["scenes"][0])
    for page in (real, fake):
        assert [s["idx"] for s in page["scenes"]] == [1]
        assert page["next_after"] == (1 if page["total"] > 1 else None)
    last = [api.job_scenes(job_id, after=10_000) for api, job_id in pairs]
    assert [(p["scenes"], p["next_after"]) for p in last] == [([], None), ([], None)]


def test_a_pdf_preview_answers_with_the_servers_keys_and_pages(both):
    real, fake = (api.preview_pdf("book.pdf", text_pdf(4), pages="2-4") for api in both)

    assert set(fake) == set(real)
    assert [page["number"] for page in fake["pages"]] == [page["number"] for page in real["pages"]]
    for key in ("page_count", "selected_pages", "encrypted", "truncated"):
        assert fake[key] == real[key], key


def _a_job(api) -> str:
    return api.create_job(text="A job to page through.", params=PARAMS)["id"]


REFUSALS: dict[str, Callable[[Any], Any]] = {
    "a clip too short": lambda api: api.add_voice("short.wav", clip_bytes(1.0)),
    "a clip that is not audio": lambda api: api.add_voice("notes.txt", b"hello"),
    "a locked pdf without its password": lambda api: api.preview_pdf(
        "locked.pdf", text_pdf(1, password="pw")
    ),
    "a locked pdf with a wrong password": lambda api: api.preview_pdf(
        "locked.pdf", text_pdf(1, password="pw"), password="nope"
    ),
    "a page range outside the document": lambda api: api.preview_pdf(
        "book.pdf", text_pdf(2), pages="5"
    ),
    "a job of empty text": lambda api: api.create_job(text="   ", params=PARAMS),
    "an unknown job": lambda api: api.job("0" * 32),
    "the scenes of an unknown job": lambda api: api.job_scenes("0" * 32),
    "a page of no scenes": lambda api: api.job_scenes(_a_job(api), limit=0),
    "a page of too many scenes": lambda api: api.job_scenes(_a_job(api), limit=501),
    "a page before the first scene": lambda api: api.job_scenes(_a_job(api), after=-1),
    "selecting an unknown voice": lambda api: api.select_voice("nobody-00000000"),
    "deleting an unknown voice": lambda api: api.delete_voice("nobody-00000000"),
    "speaking in an unknown voice": lambda api: api.speak("Hi.", "nobody-00000000", PARAMS),
    "speech of empty text": lambda api: api.speak("   ", None, PARAMS),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_fake_refuses_what_the_server_refuses_with_its_code_and_status(both, case: str):
    refusals = []
    for api in both:
        with pytest.raises(ApiError) as caught:
            REFUSALS[case](api)
        refusals.append((caught.value.code, caught.value.status, bool(caught.value.solution)))

    assert refusals[1] == refusals[0]

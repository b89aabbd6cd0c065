"""FakeApi keeps the server's contract, checked from the server's own response models.

Both ApiClient and FakeApi implement frontend/api_protocol.py's StudioApi: the same methods with
the same signatures, each JSON method naming the response model (backend/api/schemas_*.py) its
answer conforms to. The real side is the backend on a loopback port (uvicorn, fake engine)
behind a real ApiClient; each answer of either side must validate against that model with every
key it names and none it does not (tests/frontend/answers.py), so a change to the server's bodies fails here before the page
tests drift from it.
"""

from __future__ import annotations

import inspect
import io
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webvtt

from frontend.api_client import ApiClient, ApiError
from frontend.api_protocol import Speech, StudioApi
from tests.frontend import media
from tests.frontend.answers import MODELS, answer_of, conforms
from tests.frontend.cloning_server import cloning_serving
from tests.frontend.fake_api import FakeApi
from tests.frontend.piper_server import SECOND_VOICE, piper_serving
from tests.helpers.audio import clip_bytes
from tests.helpers.pdfs import text_pdf
from tests.helpers.wait import wait_for

ENGINE_INFO = {"fake"}  # /health's engine-specific extras (FakeEngine.info()); each engine its own
PARAMS = {"rate": 1.0, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8}
PROTOCOL = sorted(
    name for name, member in vars(StudioApi).items() if callable(member) and name[0] != "_"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ApiClient]:
    with cloning_serving(tmp_path_factory.mktemp("fake-contract")) as api:
        yield api


@pytest.fixture
def both(server: ApiClient) -> tuple[ApiClient, FakeApi]:
    return server, FakeApi(engine="chatterbox")


SCRIPTING = {  # the fake's own handles for tests, outside the protocol
    ApiClient: set(),
    FakeApi: {
        "fail_next", "calls_to", "add_voice_record", "add_job", "complete_scene", "fail_scene",
        "finish_job", "use_family", "make_takes", "add_worker",
    },
}  # fmt: skip


def test_the_protocol_lists_every_public_method_of_the_client_and_the_fake():
    for implementation in (ApiClient, FakeApi):
        public = {
            name for klass in implementation.__mro__[:-1]  # its own and its mixins' (not object's)
            for name, member in vars(klass).items()
            if callable(member) and name[0] != "_"
        }  # fmt: skip
        assert public - set(PROTOCOL) - SCRIPTING[implementation] == set(), implementation
        assert set(PROTOCOL) <= public, implementation


@pytest.mark.parametrize("name", PROTOCOL)
def test_the_client_and_the_fake_have_the_protocols_signature_and_types(name: str):
    wanted = inspect.signature(getattr(StudioApi, name))
    hints = typing.get_type_hints(getattr(StudioApi, name), include_extras=True)
    for implementation in (ApiClient, FakeApi):
        method = getattr(implementation, name)
        got = inspect.signature(method)
        assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
            (p.name, p.kind, p.default) for p in wanted.parameters.values()
        ], implementation
        assert typing.get_type_hints(method, include_extras=True) == hints, implementation


@pytest.mark.parametrize("name", PROTOCOL)
def test_each_json_method_names_response_models_the_server_has(name: str):
    answer = answer_of(name)
    if answer is None:  # audio: bare, or with what the headers said of it
        assert typing.get_type_hints(getattr(StudioApi, name))["return"] in (bytes, Speech)
        return
    assert answer.models and all(model in MODELS for model in answer.models), answer


def test_the_fake_has_the_clients_attributes():
    real, fake = ApiClient("http://127.0.0.1:9"), FakeApi()

    for name in typing.get_type_hints(StudioApi):
        assert type(getattr(fake, name)) is type(getattr(real, name)), name


def test_health_answers_as_the_servers_model_says(both):
    real, fake = (api.health() for api in both)

    conforms("health", real, extras=ENGINE_INFO)
    conforms("health", fake)
    assert fake["limits"] == real["limits"]  # the fake's defaults are the server's


def test_health_not_set_up_answers_as_the_servers_model_says():
    fake = FakeApi()
    fake.not_set_up = True

    conforms("health", fake.health())


def test_model_load_and_unload_answer_as_the_servers_models_say(both):
    for api in both:
        conforms("load_model", api.load_model())
        conforms("unload_model", api.unload_model())


def test_voice_calls_answer_as_the_servers_models_say(both):
    real, fake = both
    clip = clip_bytes(5.0)

    real_voice, fake_voice = real.add_voice("me.wav", clip, "Me"), fake.add_voice("me.wav", clip)
    for api, voice in ((real, real_voice), (fake, fake_voice)):
        conforms("add_voice", voice)
        conforms("voices", api.voices())
        conforms("select_voice", api.select_voice(voice["id"]))
        conforms("clear_voice", api.clear_voice())
    assert fake.clear_voice() == real.clear_voice() == {"current": None}
    assert fake.voices()["current"] is real.voices()["current"] is None
    assert fake.clear_voice() == real.clear_voice()  # idempotent on both
    conforms("delete_voice", real.delete_voice(real_voice["id"]))
    conforms("delete_voice", fake.delete_voice(fake_voice["id"]))


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

    for api in both_piper:
        conforms("voices", api.voices())
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


def test_job_calls_answer_as_the_servers_models_say(both):
    text = "The river runs past the mill. Children play on the bank."

    for api in both:
        job = api.create_job(text=text, params=PARAMS)
        conforms("create_job", job)
        assert job["scenes"], api
        conforms("job", api.job(job["id"]))
        conforms("jobs", api.jobs())
        conforms("cancel_job", api.cancel_job(job["id"]))
        conforms("retry_job", api.retry_job(job["id"]))
        covered = api.put_cover(job["id"], "cover.png", media.png())
        conforms("put_cover", covered)
        assert covered["cover_path"].endswith("cover-upload.png"), api
        assert api.job_cover(job["id"]) == media.png(), api
        conforms("delete_job", api.delete_job(job["id"]))


def test_a_mastering_report_answers_as_the_servers_model_says(both):
    _server, fake = both
    for api in both:
        job = api.create_job(text="A short line.", params={**PARAMS, "mastering": "audiobook"})
        if api is fake:
            fake.finish_job(job["id"])
        wait_for(lambda api=api, job=job: api.job(job["id"])["status"] == "completed", 30)
        report = api.job_report(job["id"])
        conforms("job_report", report)
        assert report["mastering"] == "audiobook" and len(report["parts"]) == 1, api


def test_a_page_of_scenes_answers_as_the_servers_model_says_and_pages_alike(both):
    text = "The river runs past the mill. Children play on the bank. Evening turns the water gold."
    pairs = [(api, api.create_job(text=text, params=PARAMS)["id"]) for api in both]

    for page in (api.job_scenes(job_id, after=0, limit=1) for api, job_id in pairs):
        conforms("job_scenes", page)
        assert [s["idx"] for s in page["scenes"]] == [1]
        assert page["next_after"] == (1 if page["total"] > 1 else None)
    last = [api.job_scenes(job_id, after=10_000) for api, job_id in pairs]
    assert [(p["scenes"], p["next_after"]) for p in last] == [([], None), ([], None)]


def test_a_pdf_preview_answers_as_the_servers_model_says_with_its_pages(both):
    real, fake = (api.preview_pdf("book.pdf", text_pdf(4), pages="2-4") for api in both)

    conforms("preview_pdf", real)
    conforms("preview_pdf", fake)
    assert [page["number"] for page in fake["pages"]] == [page["number"] for page in real["pages"]]
    for key in ("page_count", "selected_pages", "encrypted", "truncated"):
        assert fake[key] == real[key], key


def test_subtitles_of_a_finished_job_have_the_servers_cues_and_refusals(both):
    text = "The river runs past the mill. Children play on the bank! Is it evening yet?"
    answers = []
    for api in both:
        job_id = api.create_job(text=text, params=PARAMS)["id"]
        if isinstance(api, FakeApi):
            api.finish_job(job_id)
        else:
            wait_for(lambda api=api, job_id=job_id: api.job(job_id)["status"] == "completed")
        vtt = webvtt.from_buffer(io.StringIO(api.job_subtitles(job_id).decode()))
        with pytest.raises(ApiError) as caught:
            api.job_subtitles(job_id, "srt", "word")
        answers.append(
            ([(c.identifier, c.text) for c in vtt], caught.value.code, caught.value.status)
        )
        assert api.job_subtitles(job_id, "srt").decode().startswith("1\n00:00:00,000 --> ")

    # (the fake makes one scene a sentence, the server packs them: the names differ in scene)
    (real_cues, *real_refusal), (fake_cues, *fake_refusal) = answers
    assert [text for _, text in fake_cues] == [text for _, text in real_cues]
    assert all(re.fullmatch(r"s\d+-\d+", name) for name, _ in real_cues + fake_cues)
    assert fake_refusal == real_refusal == ["times_unavailable", 409]


def _a_job(api) -> str:
    return api.create_job(text="A job to page through.", params=PARAMS)["id"]


def _a_finished_job(api, text: str = "The river runs past the mill.") -> str:
    job_id = api.create_job(text=text, params=PARAMS)["id"]
    if isinstance(api, FakeApi):
        api.finish_job(job_id)
    wait_for(lambda: api.job(job_id)["status"] == "completed", 30)
    return job_id


def _takes_made(api, job_id: str, idx: int, count: int) -> None:
    """Until scene `idx` keeps `count` takes (the fake makes its queued ones when told)."""
    if isinstance(api, FakeApi):
        api.make_takes(job_id)
    wait_for(lambda: len(api.scene_takes(job_id, idx)["takes"]) >= count, 30)


def test_queue_calls_answer_as_the_servers_models_say(both):
    for api in both:
        # Paused first, so the server's jobs cannot end before they are paused and resumed.
        conforms("pause_all", api.pause_all())
        first, second = _a_job(api), _a_job(api)
        listed = api.job_list()
        conforms("job_list", listed)
        assert listed["paused_all"] is True, api
        conforms("reorder_jobs", api.reorder_jobs([second, first]))
        conforms("pause_job", api.pause_job(second))
        assert api.job(second)["paused"] is True, api
        conforms("resume_job", api.resume_job(second))
        conforms("resume_all", api.resume_all())
        assert api.job_list()["paused_all"] is False, api


def test_scene_edit_and_take_calls_answer_as_the_servers_models_say(both):
    for api in both:
        job_id = _a_finished_job(api)
        edited = api.edit_scene(job_id, 1, text="The river runs past the old mill.")
        conforms("edit_scene", edited)
        assert edited["stale"] is True, api
        queued = api.regenerate_scene(job_id, 1, params={"seed": 7})
        conforms("regenerate_scene", queued)
        _takes_made(api, job_id, 1, 2)
        takes = api.scene_takes(job_id, 1)
        conforms("scene_takes", takes)
        assert [take["reason"] for take in takes["takes"]] == ["first", "edit"], api
        assert takes["chosen"] == 2 and api.take_audio(job_id, 1, 1)[:4] == b"RIFF", api
        chosen = api.choose_take(job_id, 1, 1)
        conforms("choose_take", chosen)
        assert (chosen["take"], chosen["stale"]) == (1, True), api
        conforms("regenerate_stale", api.regenerate_stale(job_id))


def test_lexicon_calls_answer_as_the_servers_models_say(both):
    for api in both:
        job_id = _a_finished_job(api, "Nguyen opens the mill.")
        saved = api.put_lexicon_entry("Nguyen", "win")
        conforms("put_lexicon_entry", saved)
        assert saved["stale_scenes"] == 1, api
        conforms("lexicon", api.lexicon())
        own = api.put_lexicon_entry("mill", phonemes="mɪl", job_id=job_id)
        conforms("put_lexicon_entry", own)
        assert [e["word"] for e in api.lexicon(job_id)["entries"]] == ["mill"], api
        conforms("delete_lexicon_entry", api.delete_lexicon_entry("mill", job_id))
        conforms("delete_lexicon_entry", api.delete_lexicon_entry("Nguyen"))
        assert api.audition("Nguyen", "win").audio[:4] == b"RIFF", api


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
    "renaming an unknown voice": lambda api: api.update_voice("nobody-00000000", {"name": "X"}),
    "speaking in an unknown voice": lambda api: api.speak("Hi.", "nobody-00000000", PARAMS),
    "speech of empty text": lambda api: api.speak("   ", None, PARAMS),
    "a cover that is not an image": lambda api: api.put_cover(_a_job(api), "c.png", b"no"),
    "a cover for an unknown job": lambda api: api.put_cover("0" * 32, "c.png", media.png()),
    "the cover of a job without one": lambda api: api.job_cover(_a_job(api)),
    "a scene edit to empty text": lambda api: api.edit_scene(_a_job(api), 1, text="  "),
    "a scene setting there is not": lambda api: api.edit_scene(_a_job(api), 1, params={"pitch": 2}),
    "a take the scene does not keep": lambda api: api.choose_take(_a_finished_job(api), 1, 9),
    "the takes of a scene there is not": lambda api: api.scene_takes(_a_job(api), 99),
    "a lexicon entry that says nothing": lambda api: api.put_lexicon_entry("Nguyen"),
    "removing a word the lexicon lacks": lambda api: api.delete_lexicon_entry("nobody"),
    "the lexicon of an unknown job": lambda api: api.lexicon("0" * 32),
    "pausing an unknown job": lambda api: api.pause_job("0" * 32),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_fake_refuses_what_the_server_refuses_with_its_code_and_status(both, case: str):
    refusals = []
    for api in both:
        with pytest.raises(ApiError) as caught:
            REFUSALS[case](api)
        refusals.append((caught.value.code, caught.value.status, bool(caught.value.solution)))

    assert refusals[1] == refusals[0]

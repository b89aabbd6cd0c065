"""ApiClient against the real server over real HTTP (uvicorn on a free loopback port, fake engine):
every method the studio uses, and every way a call can fail, arrive as the server meant them."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
import soundfile as sf

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from frontend.api_client import UNREACHABLE, ApiClient, ApiError
from frontend.notices import too_large
from frontend.scene_feed import SceneFeed
from frontend.voice_controls import stale_current
from tests.e2e.conftest import free_port
from tests.frontend.piper_server import SECOND_VOICE, piper_serving
from tests.helpers.audio import clip_bytes
from tests.helpers.live import serving
from tests.helpers.pdfs import text_pdf


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[ApiClient]:
    data = tmp_path_factory.mktemp("api-client")
    settings = Settings(
        _env_file=None,
        data_dir=data,
        model_cache_dir=data / "model_cache",
        quality_check="off",
        max_upload_mb=1,
    )
    with serving(create_app(settings, FakeEngine())) as url:
        yield ApiClient(url)


def wait_for(api: ApiClient, job_id: str, status: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = api.job(job_id)
        if job["status"] == status:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job never became {status}: {job['status']}")


def test_health_carries_engine_state_memory_and_limits(api: ApiClient):
    health = api.health()
    assert health["engine"] == "fake"
    assert health["memory"]["ram_total_bytes"] > 0
    assert health["limits"]["max_upload_bytes"] == 1048576


def test_load_and_unload_change_the_model_state(api: ApiClient):
    assert api.load_model()["state"] == "ready"
    assert api.unload_model()["unloaded"] is True
    assert api.health()["state"] == "unloaded"


def test_a_voice_is_added_heard_selected_and_deleted(api: ApiClient):
    voice = api.add_voice("me.wav", clip_bytes(5.0), "Me")
    assert voice["name"] == "Me"
    reference = sf.info(io.BytesIO(api.voice_audio(voice["id"])))
    assert reference.duration == pytest.approx(voice["duration_seconds"], abs=0.05)
    assert api.select_voice(voice["id"])["current"] == voice["id"]
    assert api.voices()["current"] == voice["id"]
    assert api.delete_voice(voice["id"])["deleted"] == voice["id"]
    assert all(v["id"] != voice["id"] for v in api.voices()["voices"])


def test_clear_voice_forgets_the_current_voice_and_may_be_repeated(api: ApiClient):
    voice = api.add_voice("me.wav", clip_bytes(5.0), "Me")
    api.select_voice(voice["id"])

    assert api.clear_voice() == {"current": None}
    assert api.voices()["current"] is None
    assert api.clear_voice() == {"current": None}  # idempotent
    assert any(v["id"] == voice["id"] for v in api.voices()["voices"])  # the library keeps it
    api.delete_voice(voice["id"])


def test_a_stale_current_voice_under_piper_is_seen_as_such_and_cleared(tmp_path):
    with piper_serving(tmp_path, stale_voice=True) as (api, voice_id):
        voices = api.voices()
        assert voices["current"] == voice_id and not voices["can_clone"]
        assert voices["engine_voices"] == [{"id": SECOND_VOICE, "name": SECOND_VOICE}]
        assert stale_current(voices)  # what the studio warns about, on the server's real body
        params = {"rate": 1.0}
        assert sf.info(io.BytesIO(api.speak("Still here.", None, params).audio)).duration > 0.3
        slow = api.speak("Slowly.", SECOND_VOICE, params)
        assert sf.info(io.BytesIO(slow.audio)).duration > 0.3
        assert slow.voice == SECOND_VOICE

        assert api.clear_voice() == {"current": None}

        assert api.voices()["current"] is None
        assert not stale_current(api.voices())


def test_a_rejected_clip_raises_the_servers_code_message_and_solution(api: ApiClient):
    with pytest.raises(ApiError) as caught:
        api.add_voice("short.wav", clip_bytes(1.0))
    assert caught.value.code == "audio_too_short"
    assert caught.value.status == 422
    assert caught.value.message and caught.value.solution


def test_speak_returns_audio_in_the_asked_format(api: ApiClient):
    params = {"rate": 1.0, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8}
    speech = api.speak("Hello there.", None, params, "mp3")
    assert sf.info(io.BytesIO(speech.audio)).format == "MP3"
    assert speech.voice == "builtin"
    assert speech.model == "fake"
    assert speech.seconds == pytest.approx(sf.info(io.BytesIO(speech.audio)).duration, abs=0.05)
    assert speech.tags_removed == speech.params_ignored == ()


def test_speak_sends_the_model_and_language_and_reads_what_the_headers_say(api: ApiClient):
    speech = api.speak("Hi [laugh] there.", None, {"rate": 1.0}, model="fake", language="en")
    assert speech.model == "fake"
    assert speech.tags_removed == ("[laugh]",)  # the fake engine would read tags aloud
    with pytest.raises(ApiError) as caught:
        api.speak("Hallo.", None, {}, language="de")
    assert (caught.value.code, caught.value.status) == ("unsupported_language", 422)
    assert caught.value.details == {"languages": ["en"]}


def test_an_error_bodys_other_fields_come_with_it_as_details(api: ApiClient):
    with pytest.raises(ApiError) as caught:
        api.speak("Hi.", None, {}, model="nope")
    assert (caught.value.code, caught.value.status) == ("model_not_found", 404)
    assert caught.value.details == {"param": "model"}
    with pytest.raises(ApiError) as caught:
        api.speak("Hi.", "nobody-00000000", {})
    assert "builtin" in caught.value.details["available_voices"]


def test_a_job_carries_its_model_and_language(api: ApiClient):
    job = api.create_job(text="One short sentence.", model="fake", language="en")
    assert (job["params"]["model"], job["params"]["language"]) == ("fake", "en")


def test_convert_voice_returns_the_recording_in_the_voice_with_its_length(api: ApiClient):
    voice = api.add_voice("anna.wav", clip_bytes(5.0), "Anna")
    take = clip_bytes(2.0)
    speech = api.convert_voice("take.wav", take, voice["id"], "mp3")
    assert sf.info(io.BytesIO(speech.audio)).format == "MP3"
    assert speech.voice == voice["id"]
    assert speech.model == "fake"
    assert speech.seconds == pytest.approx(sf.info(io.BytesIO(take)).duration, abs=0.01)
    with pytest.raises(ApiError) as caught:
        api.convert_voice("take.txt", b"words", voice["id"])
    assert (caught.value.code, caught.value.status) == ("unsupported_audio_format", 415)
    api.delete_voice(voice["id"])


def test_a_pdf_preview_shows_the_selected_pages_text(api: ApiClient):
    preview = api.preview_pdf("book.pdf", text_pdf(3), pages="2-3")
    assert preview["page_count"] == 3
    assert preview["selected_pages"] == 2
    assert preview["pages"][0]["number"] == 2
    assert "Page 2 begins here." in preview["pages"][0]["text"]


def test_a_locked_pdf_needs_its_password(api: ApiClient):
    locked = text_pdf(2, password="secret")
    with pytest.raises(ApiError) as caught:
        api.preview_pdf("locked.pdf", locked)
    assert caught.value.code == "document_encrypted"
    assert api.preview_pdf("locked.pdf", locked, password="secret")["encrypted"] is True


def test_a_pdf_job_runs_to_the_end_and_every_part_downloads(api: ApiClient):
    params = {"rate": 1.0, "seed": 7}
    job = api.create_job(pdf=("book.pdf", text_pdf(2)), title="Book", params=params)
    assert job["title"] == "Book"
    job = wait_for(api, job["id"], "completed")
    assert job["params"]["seed"] == 7
    assert sf.info(io.BytesIO(api.scene_audio(job["id"], 1))).format == "WAV"
    assert api.scene_image(job["id"], 1).startswith(b"\x89PNG")
    assert sf.info(io.BytesIO(api.job_audio(job["id"], "mp3"))).format == "MP3"
    assert any(j["id"] == job["id"] for j in api.jobs())
    assert api.delete_job(job["id"]) == {"deleted": job["id"]}


def test_a_text_job_can_be_cancelled_and_retried(api: ApiClient):
    job = api.create_job(text="One sentence here. " * 200, voice="builtin")
    cancelled = api.cancel_job(job["id"])
    assert cancelled["status"] in ("cancelled", "completed")
    retried = api.retry_job(job["id"])
    assert "requeued" in retried


def test_a_jobs_scenes_come_a_page_at_a_time_and_a_poll_feed_holds_them_all(api: ApiClient):
    job = api.create_job(text=" ".join(f"Sentence {n} is short." for n in range(30)))
    done = wait_for(api, job["id"], "completed")
    walked, after = [], 0
    while after is not None:
        page = api.job_scenes(job["id"], after=after, limit=2)
        assert len(page["scenes"]) <= 2 and page["total"] == len(done["scenes"])
        assert page["job"]["status"] == "completed" and "scenes" not in page["job"]
        walked += page["scenes"]
        after = page["next_after"]
    assert walked == done["scenes"]
    assert page["unsettled_from"] is None  # spoken, and a text scene's image step is settled
    assert SceneFeed(job["id"]).poll(api) == api.job(job["id"])


def test_a_bad_page_of_scenes_is_the_servers_422_and_a_missing_job_its_404(api: ApiClient):
    job = api.create_job(text="One short sentence.")
    with pytest.raises(ApiError) as caught:
        api.job_scenes(job["id"], limit=0)
    assert (caught.value.code, caught.value.status) == ("invalid_request", 422)
    assert "limit" in caught.value.message
    with pytest.raises(ApiError) as caught:
        api.job_scenes("nope")
    assert (caught.value.code, caught.value.status) == ("job_not_found", 404)


def test_a_missing_job_is_the_servers_404(api: ApiClient):
    with pytest.raises(ApiError) as caught:
        api.job("nope")
    assert (caught.value.code, caught.value.status) == ("job_not_found", 404)


@pytest.mark.parametrize("kind", ["pdf", "voice"])
def test_the_studio_refuses_an_oversized_upload_with_the_servers_own_words(
    api: ApiClient, kind: str
):
    limit = api.health()["limits"]["max_upload_bytes"]
    data = b"%PDF-1.7\n" + b"0" * (limit + 10)
    with pytest.raises(ApiError) as caught:
        if kind == "pdf":
            api.preview_pdf("big.pdf", data)
        else:
            api.add_voice("big.wav", data)
    ours = too_large(len(data), limit, kind)
    assert ours is not None
    server = caught.value
    assert (ours.code, ours.status) == (server.code, server.status) == ("upload_too_large", 413)
    assert ours.message == server.message
    assert ours.solution == server.solution
    assert too_large(limit, limit, kind) is None


def test_a_server_that_is_not_there_is_one_plain_error():
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        ApiClient(f"http://127.0.0.1:{free_port()}").health()
    assert caught.value.code == UNREACHABLE
    assert caught.value.server_down
    assert "start_linux.sh" in caught.value.solution
    assert time.monotonic() - started < 5


def test_the_workers_list_opens_with_the_api_token_and_not_the_workers_token(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path, model_cache_dir=tmp_path / "model_cache",
        quality_check="off", api_token="api-secret", worker_token="worker-secret",
    )  # fmt: skip
    with serving(create_app(settings, FakeEngine())) as url:
        assert ApiClient(url, token="api-secret").workers() == {"enabled": True, "workers": []}
        with pytest.raises(ApiError) as caught:
            ApiClient(url, token="worker-secret").workers()
    assert (caught.value.code, caught.value.status) == ("token_required", 401)

"""The OpenAI-compatible routes (/v1) against the real app with FakeEngine: formats, speed, voice
names, the error envelope, and streaming over real loopback HTTP (first bytes before the rest is
made; a client that leaves stops the synthesis)."""

from __future__ import annotations

import base64
import json
import threading

import pytest
import requests

from backend.core.errors import SynthesisFailed
from backend.core.settings import Settings
from backend.engines.fake import BUILTIN_HZ, FakeEngine, voice_frequency
from backend.engines.piper import PiperEngine
from backend.main import create_app
from tests.helpers.audio import clip_bytes, decode_stream, dominant_hz
from tests.helpers.live import serving
from tests.helpers.wait import wait_for

FORMATS = ["mp3", "opus", "ogg", "aac", "flac", "wav", "pcm"]
TEXT = "The first sentence is short. The second one follows it. And a third ends the text."


def speech(client, **fields):
    return client.post("/v1/audio/speech", json={"model": "tts-1", "voice": "alloy"} | fields)


def envelope(response, status: int, code: str, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert error["type"] and error["message"] and error["solution"]
    return error


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_a_real_stream_of_the_voice_that_was_asked_for(client, fmt):
    response = speech(client, input=TEXT, response_format=fmt)

    assert response.status_code == 200, response.text
    samples, rate = decode_stream(response.content, fmt)
    # Opus decoders always give 48 kHz; the stream's header records the rate it was made at.
    assert rate == (48000 if fmt in ("opus", "ogg") else int(response.headers["x-sample-rate"]))
    # FakeEngine speaks 10 ms a character; two chunks (the first sentence alone), one pause.
    # mp3 and aac streams begin with their encoder's delay (about 70 ms here), which no header
    # of a stream can tell a decoder to skip.
    expected = (len(TEXT) - 1) * 0.01 + 0.15
    delay = 0.1 if fmt in ("mp3", "aac") else 0.0
    assert expected - 0.03 <= len(samples) / rate <= expected + delay + 0.03
    assert dominant_hz(samples, rate) == pytest.approx(BUILTIN_HZ, abs=3)
    assert response.headers["x-voice"] == "builtin"


def test_pcm_is_24_khz_16_bit_and_says_so_in_its_headers(client):
    response = speech(client, input="Raw samples.", response_format="pcm")

    assert response.headers["content-type"] == "audio/pcm"
    assert response.headers["x-sample-rate"] == "24000"
    assert (response.headers["x-sample-format"], response.headers["x-channels"]) == ("s16le", "1")
    assert len(response.content) == pytest.approx(2 * 24000 * 0.12, abs=2 * 240)


def test_speed_really_changes_the_length(client):
    normal = decode_stream(speech(client, input=TEXT, response_format="wav").content, "wav")[0]
    fast = decode_stream(
        speech(client, input=TEXT, speed=2.0, response_format="wav").content, "wav"
    )

    # the pause between the sentences scales with the speech: the whole is half as long
    assert (len(fast[0]) / fast[1]) / (len(normal) / 16000) == pytest.approx(0.5, abs=0.01)


def test_openai_voice_names_speak_in_the_current_voice_and_library_names_win(client):
    added = client.post("/voices", files={"file": ("v.wav", clip_bytes(4))}, data={"name": "Ann"})
    voice = added.json()["id"]
    client.post("/load_voice", json={"voice_id": voice}).raise_for_status()
    nova = client.post("/voices", files={"file": ("n.wav", clip_bytes(4))}, data={"name": "nova"})

    text = "Hello there, this is the voice I chose."
    alloy = speech(client, input=text, voice="alloy", response_format="wav")
    named = speech(client, input=text, voice="nova", response_format="wav")
    by_id = speech(client, input=text, voice={"id": "Ann"}, response_format="wav")

    assert alloy.headers["x-voice"] == voice == by_id.headers["x-voice"]
    assert named.headers["x-voice"] == nova.json()["id"]
    samples, rate = decode_stream(alloy.content, "wav")
    assert dominant_hz(samples, rate) == pytest.approx(voice_frequency(voice), abs=3)


def test_models_and_voices_are_listed_the_openai_way(client):
    models = client.get("/v1/models").json()
    voices = client.get("/v1/audio/voices").json()["voices"]

    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["fake", "tts-1", "tts-1-hd", "gpt-4o-mini-tts"]
    assert {m["object"] for m in models["data"]} == {"model"}
    assert client.get("/v1/models/tts-1-hd").json()["id"] == "tts-1-hd"
    ids = [voice["id"] for voice in voices]
    assert ids[0] == "builtin" and "alloy" in ids and "en-US-JennyNeural" in ids


def test_errors_on_v1_come_in_the_openai_envelope_with_the_usual_codes(client):
    envelope(speech(client, input="Hi.", model="tts-9"), 404, "model_not_found", "model")
    other = envelope(speech(client, input="Hi.", model="piper"), 404, "model_not_found", "model")
    assert "CHATTERBOX_ENGINE=piper" in other["solution"]
    envelope(speech(client, input="Hi.", voice="nobody"), 400, "voice_not_found", "voice")
    envelope(speech(client, input="Hi.", speed=9), 422, "invalid_request", "speed")
    envelope(
        speech(client, input="Hi.", response_format="aiff"),
        422,
        "invalid_request",
        "response_format",
    )
    envelope(speech(client, input=" \n "), 422, "text_empty")
    envelope(client.get("/v1/models/whisper-1"), 404, "model_not_found", "model")
    envelope(client.get("/v1/nothing"), 404, "not_found")
    # the rest of the API keeps its own flat body
    assert client.get("/nothing").json()["error"] == "not_found"


def test_with_a_token_v1_needs_it_and_says_so_in_the_envelope(make_client):
    client = make_client(api_token="s3cret")

    refused = speech(client, input="Hi.")
    allowed = client.post(
        "/v1/audio/speech",
        json={"model": "tts-1", "voice": "alloy", "input": "Hi."},
        headers={"Authorization": "Bearer s3cret"},
    )

    assert envelope(refused, 401, "token_required")["type"] == "authentication_error"
    assert allowed.status_code == 200


def test_sse_sends_base64_deltas_of_the_format_then_done(client):
    response = speech(client, input=TEXT, response_format="mp3", stream_format="sse")

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.strip()]
    assert [e["type"] for e in events[-1:]] == ["speech.audio.done"]
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"}
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    samples, rate = decode_stream(audio, "mp3")
    assert dominant_hz(samples, rate) == pytest.approx(BUILTIN_HZ, abs=3)


def test_a_failure_after_the_first_sentence_ends_the_stream_with_an_error_event(make_client):
    def fail(text: str) -> Exception | None:
        return SynthesisFailed("The engine broke.") if text.startswith("The second") else None

    client = make_client(FakeEngine(fail_when=fail, max_chars=40))

    response = speech(client, input=TEXT, stream_format="sse")

    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.strip()]
    assert events[0]["type"] == "speech.audio.delta"
    assert events[-1]["type"] == "error"
    assert events[-1]["error"]["code"] == "synthesis_failed"


# ---- over real loopback HTTP --------------------------------------------------------------


def live_app(tmp_path, engine: FakeEngine, **overrides):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        load_on_startup=False,
        quality_check="off",
        **overrides,
    )
    return serving(create_app(settings, engine))


def test_the_first_bytes_leave_while_later_sentences_are_still_being_made(tmp_path):
    engine = FakeEngine(max_chars=40, hang_when=lambda text: text.startswith("The second"))
    with live_app(tmp_path, engine) as url:
        body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "pcm"}
        with requests.post(f"{url}/v1/audio/speech", json=body, stream=True, timeout=30) as r:
            pieces = r.iter_content(chunk_size=None)  # one iterator: dropping it drops the stream
            first = next(pieces)
            wait_for(lambda: len(engine.calls) == 2, timeout=10)
            assert [text for text, _ in engine.calls] == [
                "The first sentence is short.",
                "The second one follows it.",  # still being made: it hangs until released
            ]
            engine.release.set()
            rest = b"".join(pieces)

    # the first sentence alone (0.28 s), less the resampler's lookahead (16 to 24 kHz here)
    assert 2 * 24000 * 0.2 <= len(first) <= 2 * 24000 * 0.28
    assert len(first + rest) > 3 * len(first)


def test_a_client_that_leaves_stops_the_synthesis_within_one_chunk(tmp_path):
    engine = FakeEngine(max_chars=30, delay=0.1)
    sentences = " ".join(f"This is sentence number {n}." for n in range(40))
    with live_app(tmp_path, engine) as url:
        body = {"model": "tts-1", "voice": "alloy", "input": sentences, "response_format": "mp3"}
        response = requests.post(f"{url}/v1/audio/speech", json=body, stream=True, timeout=30)
        next(response.iter_content(chunk_size=None))
        response.close()  # the client goes away after the first bytes
        left_at = len(engine.calls)

        health = f"{url}/health"
        wait_for(lambda: requests.get(health, timeout=5).json()["in_flight"] == 0, timeout=10)
        settled = len(engine.calls)
        # A marker request after it: a generation that went on would keep adding chunks (one
        # every 0.1 s) while the marker is queued and spoken.
        marker = {"model": "tts-1", "voice": "alloy", "input": "The marker."}
        assert requests.post(f"{url}/v1/audio/speech", json=marker, timeout=30).ok

        assert settled <= left_at + 2  # the chunk in hand, and at most one already queued
        assert [text for text, _ in engine.calls[settled:]] == ["The marker."]
        assert requests.get(health, timeout=5).json()["in_flight"] == 0


def test_past_the_waiting_limit_speech_gets_429_in_the_envelope(tmp_path):
    engine = FakeEngine(hang_when=lambda text: text.startswith("Hold"))
    with live_app(tmp_path, engine, max_waiting_requests=1) as url:
        body = {"model": "tts-1", "voice": "alloy", "input": "Hold the model."}
        holder = threading.Thread(
            target=requests.post, args=(f"{url}/v1/audio/speech",), kwargs={"json": body}
        )
        holder.start()
        wait_for(lambda: engine.calls, timeout=10)

        refused = requests.post(f"{url}/v1/audio/speech", json=body | {"input": "Hi."}, timeout=10)

        engine.release.set()
        holder.join(10)
    assert envelope(refused, 429, "server_busy")["type"] == "rate_limit_error"
    assert int(refused.headers["retry-after"]) >= 1


def test_a_stale_current_voice_never_breaks_v1_and_can_be_cleared(make_client):
    """A current voice made under a cloning engine, then the data served by real Piper: OpenAI's
    voice names speak in the built-in voice with a warning; an explicit library voice is a 400."""
    added = make_client().post("/voices", files={"file": ("v.wav", clip_bytes(4))})
    voice_id = added.json()["id"]
    make_client().post("/load_voice", json={"voice_id": voice_id}).raise_for_status()
    client = make_client(PiperEngine())

    alloy = speech(client, input="Hello there.", model="piper", response_format="wav")
    listed = {v["id"]: v["name"] for v in client.get("/v1/audio/voices").json()["voices"]}
    explicit = speech(client, input="Hello there.", voice=voice_id)
    cleared = client.delete("/load_voice")
    after = speech(client, input="Hello there.", response_format="wav")

    assert alloy.status_code == 200, alloy.text
    assert alloy.headers["x-voice"] == "builtin"
    assert listed["alloy"] == "alloy (the current voice, builtin)"
    assert voice_id in alloy.headers["x-voice-warning"]
    assert len(decode_stream(alloy.content, "wav")[0]) > 0
    envelope(explicit, 400, "voice_cloning_unavailable")
    assert cleared.status_code == 200
    assert after.status_code == 200 and "x-voice-warning" not in after.headers

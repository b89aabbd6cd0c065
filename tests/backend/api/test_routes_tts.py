from __future__ import annotations

import io

import pytest
import soundfile as sf

from backend.audio.encode import FORMATS
from backend.core.settings import Settings
from backend.engines.fake import FakeEngine, voice_frequency
from backend.engines.piper import PiperEngine
from backend.text.normalize import normalize
from tests.helpers import audio
from tests.helpers.api import assert_error
from tests.helpers.audio import clip_bytes
from tests.helpers.piper_voices import make_voice


def dominant_hz(response) -> float:
    samples, rate = sf.read(io.BytesIO(response.content))
    return audio.dominant_hz(samples, rate)


def upload(client, name="Narrator", pitch=160.0):
    response = client.post(
        "/voices",
        files={"file": ("narrator.wav", clip_bytes(pitch=pitch), "audio/wav")},
        data={"name": name},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_tts_speaks_with_the_builtin_voice_when_none_is_chosen(client):
    response = client.post("/tts", json={"text": "Hello there."})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-voice"] == "builtin"
    assert response.headers["x-tts-engine"] == "fake"
    assert abs(dominant_hz(response) - voice_frequency(None)) < 5


# the one encoder's table (pinned value by value in tests/backend/audio/test_encode.py)
TEXT = "The first sentence is short. The second one follows it."


@pytest.mark.parametrize(("fmt", "content_type"), FORMATS.items())
def test_tts_every_format_decodes_to_the_speech_at_its_rate(client, fmt, content_type):
    response = client.post("/tts", json={"text": TEXT, "format": fmt})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == f'inline; filename="speech.{fmt}"'
    samples, rate = audio.decode_stream(response.content, fmt)
    # Opus decoders always give 48 kHz; X-Sample-Rate is the rate the file was made at.
    assert rate == (48000 if fmt in ("opus", "ogg") else int(response.headers["x-sample-rate"]))
    seconds = float(response.headers["x-audio-seconds"])
    assert seconds == pytest.approx(len(TEXT) * 0.01, abs=0.03)  # FakeEngine: 10 ms a character
    # The file holds all of it; aac decoders play 1024 samples of priming and a part frame.
    delay = 2048 / rate if fmt == "aac" else 0.0
    assert seconds - 0.005 <= len(samples) / rate <= seconds + delay + 0.005
    assert audio.dominant_hz(samples, rate) == pytest.approx(voice_frequency(None), abs=3)


def test_tts_pcm_is_24_khz_16_bit_and_says_so_in_its_headers(client):
    response = client.post("/tts", json={"text": "Raw samples.", "format": "pcm"})

    assert response.headers["x-sample-rate"] == "24000"
    assert (response.headers["x-sample-format"], response.headers["x-channels"]) == ("s16le", "1")
    assert len(response.content) % 2 == 0


def test_tts_and_v1_offer_the_same_formats_with_the_same_media_types(client):
    for fmt, content_type in FORMATS.items():
        v1 = client.post(
            "/v1/audio/speech",
            json={"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": fmt},
        )
        assert v1.status_code == 200, (fmt, v1.text)
        assert v1.headers["content-type"] == content_type


def test_an_unknown_format_is_422_with_the_formats_in_the_solution(client):
    response = client.post("/tts", json={"text": "Hi.", "format": "aiff"})

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "format" in body["message"]
    for fmt in FORMATS:
        assert f"'{fmt}'" in body["solution"]


def test_tts_uses_explicit_voice_then_current_voice(client):
    first = upload(client, "First", 150)
    second = upload(client, "Second", 210)
    assert client.post("/load_voice", json={"voice_id": first}).status_code == 200
    current = client.post("/tts", json={"text": "Who is speaking?"})
    assert current.headers["x-voice"] == first
    assert abs(dominant_hz(current) - voice_frequency(first)) < 5
    explicit = client.post("/tts", json={"text": "Who is speaking?", "voice": second})
    assert explicit.headers["x-voice"] == second
    assert abs(dominant_hz(explicit) - voice_frequency(second)) < 5
    by_name = client.post("/tts", json={"text": "By name.", "voice": "second"})
    assert by_name.headers["x-voice"] == second


def test_edge_tts_names_map_to_the_builtin_voice_by_default(client):
    response = client.post("/tts", json={"text": "Hello.", "voice": "en-US-JennyNeural"})
    assert response.status_code == 200
    assert response.headers["x-voice"] == "builtin"


def test_aliases_can_map_edge_names_to_library_voices(make_client):
    client = make_client()
    voice_id = upload(client)
    client.app.state.settings.voice_aliases["en-GB-RyanNeural"] = voice_id
    response = client.post("/tts", json={"text": "Hello.", "voice": "en-GB-RyanNeural"})
    assert response.headers["x-voice"] == voice_id


def test_unknown_voice_is_400_voice_not_found_listing_available_voices(client):
    voice_id = upload(client, "Narrator")
    available = ["builtin", voice_id, "en-US-JennyNeural"]
    assert_error(
        client.post("/tts", json={"text": "Hello.", "voice": "en-US-GuyNeural"}),
        400,
        {
            "error": "voice_not_found",
            "message": f"Unknown voice 'en-US-GuyNeural'. Available voices: {', '.join(available)}.",
            "solution": "Use one of the available voices, or upload a new one with POST /voices.",
            "available_voices": available,
        },
    )


def test_no_voice_at_all_is_400_no_voice_loaded(make_client):
    client = make_client(FakeEngine(has_builtin_voice=False))
    assert_error(
        client.post("/tts", json={"text": "Hello."}),
        400,
        {
            "error": "no_voice_loaded",
            "message": "No voice is selected and the engine has no built-in voice.",
            "solution": "Upload a reference clip (POST /voices) and select it with POST /load_voice.",
        },
    )


def test_engine_that_cannot_clone_refuses_an_uploaded_voice(make_client):
    client = make_client(FakeEngine(can_clone=False))
    voice_id = upload(client)
    assert_error(
        client.post("/tts", json={"text": "Hello.", "voice": voice_id}),
        400,
        {
            "error": "voice_cloning_unavailable",
            "message": f"The current engine (Piper) cannot speak in the uploaded voice '{voice_id}'.",
            "solution": "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
            "(downloads the model into model_cache/), then restart the server.",
        },
    )


def test_empty_and_whitespace_text_is_422_text_empty(client):
    body = {
        "error": "text_empty",
        "message": "The text is empty.",
        "solution": "Send some words to speak in the 'text' field.",
    }
    for text in ("", "   \n\t ", "\x00\x01"):
        assert_error(client.post("/tts", json={"text": text}), 422, body)


def test_text_over_the_limit_is_413_text_too_long(make_client):
    client = make_client(max_text_chars=100)
    assert_error(
        client.post("/tts", json={"text": "a" * 101}),
        413,
        {
            "error": "text_too_long",
            "message": "The text has 101 characters; one request takes at most 100.",
            "solution": "Split the text, or narrate long documents as a job.",
        },
    )


def test_invalid_fields_are_422_invalid_request(client):
    response = client.post("/tts", json={"text": "Hi.", "rate": 9, "seed": -1})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "rate" in body["message"] and "seed" in body["message"]
    assert body["solution"] == "Check the fields against the API documentation at /docs."
    missing = client.post("/tts", json={})
    assert missing.json()["error"] == "invalid_request"
    assert "text" in missing.json()["message"]
    broken = client.post("/tts", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["error"] == "invalid_request"


def test_synthesis_failure_is_500_synthesis_failed_without_a_traceback(make_client):
    client = make_client(FakeEngine(fail_when=lambda text: RuntimeError("device-side assert")))
    assert_error(
        client.post("/tts", json={"text": "Hello."}),
        500,
        {
            "error": "synthesis_failed",
            "message": "Speech synthesis failed: device-side assert",
            "solution": "Try again with shorter text; if it keeps failing, reload the model.",
        },
    )


def test_long_text_is_split_into_engine_sized_chunks_and_joined(client):
    text = " ".join(f"Sentence number {i} is here to make the text long." for i in range(30))
    response = client.post("/tts", json={"text": text})
    assert response.status_code == 200
    chunks = [t for t, _ in client.engine.calls]
    assert len(chunks) > 1
    assert all(len(c) <= client.engine.capabilities.max_chars for c in chunks)
    assert " ".join(chunks) == normalize(text)  # spoken as words: "Sentence number zero"
    samples, rate = sf.read(io.BytesIO(response.content))
    spoken = sum(max(0.05, len(c) * 0.01) for c in chunks)
    assert len(samples) / rate > spoken  # chunks plus the pauses between them


def test_rate_reaches_the_engine(client):
    normal = client.post("/tts", json={"text": "x" * 100}).headers["x-audio-seconds"]
    fast = client.post("/tts", json={"text": "x" * 100, "rate": 2.0}).headers["x-audio-seconds"]
    assert float(fast) < float(normal) * 0.6


def test_oversized_json_body_is_413_before_parsing(client):
    response = client.post(
        "/tts",
        content=b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_error(
        response,
        413,
        {
            "error": "upload_too_large",
            "message": "The request body is larger than the limit of 1.0 MB.",
            "solution": "Send less text per request; narrate long documents as a job.",
        },
    )


def stale_after_a_fall_back_to_piper(make_client):
    """A voice made current under a cloning engine, then the same data served by real Piper (as
    after Chatterbox's model files went missing and `auto` fell back): a stale current voice."""
    voice_id = upload(make_client())
    cloning = make_client()
    assert cloning.post("/load_voice", json={"voice_id": voice_id}).status_code == 200
    piper = make_client(PiperEngine())
    assert piper.get("/voices").json()["current"] == voice_id
    return piper, voice_id


def test_a_stale_current_voice_is_passed_over_for_the_builtin_voice_with_a_warning(make_client):
    client, voice_id = stale_after_a_fall_back_to_piper(make_client)

    response = client.post("/tts", json={"text": "Still speaking."})

    assert response.status_code == 200, response.text
    assert response.headers["x-voice"] == "builtin"
    assert voice_id in response.headers["x-voice-warning"]
    assert "DELETE /load_voice" in response.headers["x-voice-warning"]
    assert sf.info(io.BytesIO(response.content)).duration > 0.3  # real Piper speech


def test_an_explicit_voice_the_engine_cannot_speak_is_still_400(make_client):
    client, voice_id = stale_after_a_fall_back_to_piper(make_client)

    response = client.post("/tts", json={"text": "Hello.", "voice": voice_id})

    assert response.status_code == 400
    assert response.json()["error"] == "voice_cloning_unavailable"


def test_delete_load_voice_clears_a_stale_current_voice_on_an_engine_that_cannot_clone(make_client):
    client, _ = stale_after_a_fall_back_to_piper(make_client)

    cleared = client.delete("/load_voice")
    response = client.post("/tts", json={"text": "Clean again."})

    assert cleared.status_code == 200
    assert cleared.json() == {"current": None}
    assert client.get("/voices").json()["current"] is None
    assert response.status_code == 200
    assert "x-voice-warning" not in response.headers
    assert client.delete("/load_voice").status_code == 200  # idempotent


def test_a_current_voice_whose_clip_is_gone_is_passed_over_with_a_warning(client):
    voice_id = upload(client)
    client.post("/load_voice", json={"voice_id": voice_id}).raise_for_status()
    (client.app.state.store.root / voice_id / "reference.wav").unlink()

    response = client.post("/tts", json={"text": "Who is speaking?"})

    assert response.status_code == 200
    assert response.headers["x-voice"] == "builtin"
    assert "reference clip" in response.headers["x-voice-warning"]
    assert abs(dominant_hz(response) - voice_frequency(None)) < 5


def test_every_piper_voice_is_listed_and_selectable_by_name(make_client, tmp_path):
    """A folder of Piper voices (a copy of the bundled one that speaks slower) besides the
    built-in voice: listed by /voices and /v1/audio/voices, chosen per request by name."""
    make_voice(tmp_path / "piper", "en_US-slow-medium", inference={"length_scale": 1.6})
    engine = PiperEngine(Settings(_env_file=None, piper_voices_dir=tmp_path / "piper"))
    client = make_client(engine)
    text = {"text": "Which voice is this?"}

    slow = client.post("/tts", json=text | {"voice": "en_US-slow-medium"})
    builtin = client.post("/tts", json=text)
    openai = client.post(
        "/v1/audio/speech",
        json={"model": "piper", "voice": "en_US-slow-medium", "input": text["text"]},
    )

    assert client.get("/voices").json()["engine_voices"] == [
        {"id": "en_US-slow-medium", "name": "en_US-slow-medium"}
    ]
    v1_ids = [voice["id"] for voice in client.get("/v1/audio/voices").json()["voices"]]
    assert v1_ids[:2] == ["builtin", "en_US-slow-medium"]
    assert (slow.headers["x-voice"], builtin.headers["x-voice"]) == ("en_US-slow-medium", "builtin")
    assert float(slow.headers["x-audio-seconds"]) / float(builtin.headers["x-audio-seconds"]) > 1.3
    assert openai.status_code == 200 and openai.headers["x-voice"] == "en_US-slow-medium"
    unknown = client.post("/tts", json=text | {"voice": "en_US-nobody"})
    assert "en_US-slow-medium" in unknown.json()["available_voices"]

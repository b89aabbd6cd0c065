"""The official `openai` package pointed at the real server (Piper): every response format through
`audio.speech.create` and through the streaming-response variant; Whisper hears the text; speed
changes the length; errors arrive as the package's own exception classes."""

from __future__ import annotations

import openai
import pytest

from backend.core.speech import Audio
from backend.jobs.quality import QualityChecker
from tests.helpers.audio import decode_stream

FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"]
TEXT = "Good morning. The weather today is clear and warm, with a light breeze from the west."


@pytest.fixture(scope="module")
def client(piper_server):
    # No token is set on the server, so any key is accepted (the package insists on one).
    return openai.OpenAI(base_url=piper_server.url + "/v1", api_key="anything", max_retries=0)


@pytest.fixture(scope="module")
def whisper():
    return QualityChecker()


def seconds(data: bytes, fmt: str) -> tuple[float, Audio]:
    samples, rate = decode_stream(data, fmt)
    return len(samples) / rate, Audio(samples, rate)


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_and_the_streaming_response_give_the_same_speech_in_each_format(
    client, whisper, fmt
):
    whole = client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format=fmt
    )
    with client.audio.speech.with_streaming_response.create(
        model="tts-1-hd", voice="alloy", input=TEXT, response_format=fmt
    ) as response:
        assert response.headers["x-tts-engine"] == "piper"
        streamed = b"".join(response.iter_bytes())

    for data in (whole.content, streamed):
        length, audio = seconds(data, fmt)
        assert 3.0 < length < 9.0
        assert whisper.word_error_rate(audio, TEXT) <= 0.15


def test_speed_two_halves_the_speech(client):
    normal = client.audio.speech.create(
        model="piper", voice="alloy", input=TEXT, response_format="wav"
    )
    fast = client.audio.speech.create(
        model="piper", voice="alloy", input=TEXT, response_format="wav", speed=2.0
    )

    ratio = seconds(fast.content, "wav")[0] / seconds(normal.content, "wav")[0]
    assert 0.4 < ratio < 0.65  # the pause between the two chunks keeps its length


def test_errors_are_the_packages_own_exceptions_with_our_codes(client):
    with pytest.raises(openai.NotFoundError) as missing_model:
        client.audio.speech.create(model="tts-9", voice="alloy", input=TEXT)
    with pytest.raises(openai.BadRequestError) as missing_voice:
        client.audio.speech.create(model="tts-1", voice="nobody", input=TEXT)
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        client.audio.speech.create(model="tts-1", voice="alloy", input="   ")

    assert (missing_model.value.code, missing_model.value.param) == ("model_not_found", "model")
    assert (missing_voice.value.code, missing_voice.value.param) == ("voice_not_found", "voice")
    assert empty.value.code == "text_empty"
    assert "Unknown voice 'nobody'" in missing_voice.value.message


def test_models_are_listed_to_the_package(client):
    assert [model.id for model in client.models.list()] == [
        "piper",
        "tts-1",
        "tts-1-hd",
        "gpt-4o-mini-tts",
    ]
    assert client.models.retrieve("tts-1").owned_by == "chatterbox-studio"

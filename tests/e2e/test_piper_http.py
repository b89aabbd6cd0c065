"""Real Piper speech through the real HTTP server."""

from __future__ import annotations

import io
import time

import requests
import soundfile as sf

from tests.e2e.conftest import LiveServer
from tests.helpers.wait import wait_for


def mpeg_frame_layer(data: bytes) -> int | None:
    """Layer number (1-3) of the first MPEG audio frame, skipping an ID3 tag if present."""
    offset = 0
    if data[:3] == b"ID3":
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        offset = 10 + size
    for i in range(offset, min(len(data) - 1, offset + 4096)):
        if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
            return {0b01: 3, 0b10: 2, 0b11: 1}.get((data[i + 1] >> 1) & 0b11)
    return None


def test_health_reports_piper_on_cpu_and_memory(piper_server):
    response = requests.get(piper_server.url + "/health", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["engine"] == "piper"
    assert body["device"] == "cpu"
    assert body["can_clone"] is False
    assert body["memory"]["rss_bytes"] > 0
    assert response.headers["x-tts-engine"] == "piper"


def test_tts_returns_valid_wav_speech(piper_server):
    response = requests.post(
        piper_server.url + "/tts", json={"text": "Real speech, as a wave file."}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-tts-device"] == "cpu"
    samples, rate = sf.read(io.BytesIO(response.content))
    assert rate == 22050
    assert 1.0 < len(samples) / rate < 6.0
    assert abs(samples).max() > 0.1


def test_tts_returns_valid_mp3_made_of_layer_three_frames(piper_server):
    response = requests.post(
        piper_server.url + "/tts",
        json={"text": "Real speech, as an M P 3 file.", "format": "mp3"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    assert mpeg_frame_layer(response.content) == 3
    samples, rate = sf.read(io.BytesIO(response.content))
    assert len(samples) / rate > 1.0


def test_tts_returns_ogg_and_flac(piper_server):
    for fmt, content_type in (("ogg", "audio/ogg"), ("flac", "audio/flac")):
        response = requests.post(
            piper_server.url + "/tts", json={"text": "Short.", "format": fmt}, timeout=60
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert sf.info(io.BytesIO(response.content)).duration > 0.2


def test_edge_tts_voice_name_is_served_by_the_builtin_voice(piper_server):
    response = requests.post(
        piper_server.url + "/tts",
        json={"text": "An old client keeps working.", "voice": "en-US-JennyNeural"},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers["x-voice"] == "builtin"


def test_long_text_is_split_and_joined_into_one_file(piper_server):
    sentence = "This sentence is part of a long text that the server splits at sentence ends. "
    response = requests.post(piper_server.url + "/tts", json={"text": sentence * 12}, timeout=120)
    assert response.status_code == 200
    samples, rate = sf.read(io.BytesIO(response.content))
    assert len(samples) / rate > 30


def test_health_answers_fast_while_a_long_synthesis_runs(piper_server):
    import threading

    text = "The health check must stay quick while the model is busy speaking. " * 40
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(
            r=requests.post(piper_server.url + "/tts", json={"text": text}, timeout=300)
        )
    )
    worker.start()
    status = piper_server.url + "/model/status"
    wait_for(lambda: requests.get(status, timeout=5).json()["in_flight"] >= 1, timeout=30)
    latencies = []
    while worker.is_alive() and len(latencies) < 20:
        started = time.perf_counter()
        assert requests.get(piper_server.url + "/health", timeout=5).status_code == 200
        latencies.append(time.perf_counter() - started)
        time.sleep(0.05)
    worker.join()
    assert result["r"].status_code == 200
    assert len(latencies) >= 3
    assert sorted(latencies)[len(latencies) // 2] < 0.1


def test_a_missing_model_path_is_a_503_that_names_the_file_and_the_fix(tmp_path):
    """The seed's `-e MODEL_PATH=/models/en_US-jenny-medium.onnx` with nothing mounted there."""
    missing = tmp_path / "models" / "en_US-jenny-medium.onnx"
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper", MODEL_PATH=str(missing))
    try:
        server.wait_ready()
        health = requests.get(server.url + "/health", timeout=5)
        tts = requests.post(server.url + "/tts", json={"text": "Hello."}, timeout=60)
    finally:
        server.stop()

    for response in (health, tts):
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "environment_not_setup"
        assert str(missing) in body["message"]
        assert "MODEL_PATH" in body["solution"] and ".onnx.json" in body["solution"]

"""Fifty concurrent /tts requests over real loopback HTTP, with ten voices and a bounded queue:
every answer is 200 or 429, each audio is in the voice it asked for, and memory comes back."""

from __future__ import annotations

import gc
import io
from concurrent.futures import ThreadPoolExecutor

import psutil
import requests
import soundfile as sf

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine, voice_frequency
from backend.main import create_app
from tests.helpers.audio import clip_bytes, dominant_hz
from tests.helpers.live import serving

REQUESTS = 50
VOICES = 10
MIB = 1024 * 1024


def test_fifty_concurrent_requests_get_their_own_voice_or_a_429(tmp_path):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        load_on_startup=False,
        quality_check="off",
        max_waiting_requests=8,
    )
    app = create_app(settings, FakeEngine(delay=0.05))
    with serving(app) as url:
        voices = []
        for i in range(VOICES):
            files = {"file": (f"v{i}.wav", clip_bytes(3.2, pitch=120 + 10 * i))}
            added = requests.post(f"{url}/voices", files=files, data={"name": f"v{i}"}, timeout=30)
            voices.append(added.json()["id"])
        requests.post(f"{url}/tts", json={"text": "Warm up."}, timeout=30).raise_for_status()
        gc.collect()
        rss_before = psutil.Process().memory_info().rss

        def speak(i: int) -> tuple[str, requests.Response]:
            voice = voices[i % VOICES]
            text = f"Request number {i} speaks in its own voice."
            return voice, requests.post(
                f"{url}/tts", json={"text": text, "voice": voice}, timeout=120
            )

        with ThreadPoolExecutor(REQUESTS) as pool:
            answers = list(pool.map(speak, range(REQUESTS)))
        gc.collect()
        rss_after = psutil.Process().memory_info().rss

    statuses = [response.status_code for _, response in answers]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 8
    assert statuses.count(429) >= 1  # the queue really is bounded
    for voice, response in answers:
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"] == "server_busy"
            continue
        samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
        assert abs(dominant_hz(samples, rate) - voice_frequency(voice)) < 3, voice
    assert (rss_after - rss_before) / MIB < 50

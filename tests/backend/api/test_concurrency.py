"""Concurrent work over real loopback HTTP: fifty /tts requests with ten voices and a bounded
queue (every answer is 200 or 429, each audio in the voice it asked for, memory comes back), and
a job scene queued behind a long /tts (the scene watchdog counts only the time it runs)."""

from __future__ import annotations

import gc
import io
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import requests
import soundfile as sf

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine, voice_frequency
from backend.main import create_app
from tests.helpers.audio import clip_bytes, dominant_hz
from tests.helpers.live import serving
from tests.helpers.wait import wait_for

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


def test_a_job_scene_queued_behind_a_long_tts_past_the_scene_timeout_still_completes(tmp_path):
    timeout = 0.5
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        load_on_startup=False,
        quality_check="off",
        scene_timeout_seconds=timeout,
    )
    engine = FakeEngine(hang_when=lambda text: text.startswith("A long take"))
    with serving(create_app(settings, engine)) as url, ThreadPoolExecutor(1) as pool:
        tts = pool.submit(
            requests.post, f"{url}/tts", json={"text": "A long take holds the model."}, timeout=60
        )
        try:
            assert engine.hanging.wait(10)
            job = requests.post(f"{url}/jobs", data={"text": "One short scene."}, timeout=30)
            job_id = job.json()["id"]
            # The scene is queued behind the take: the manager counts both in flight.
            wait_for(
                lambda: requests.get(f"{url}/model/status", timeout=10).json()["in_flight"] >= 2
            )
            queued_at = time.monotonic()
            # The watchdog runs on the real clock here, so real time must pass: the condition
            # is the time itself, well beyond the scene timeout, with the scene still queued.
            wait_for(lambda: time.monotonic() - queued_at > 4 * timeout)
            assert engine.calls[-1][0].startswith("A long take")  # the scene has not started
        finally:
            engine.release.set()
        assert tts.result().status_code == 200
        done = wait_for(
            lambda: (
                (j := requests.get(f"{url}/jobs/{job_id}", timeout=10).json())["status"]
                in ("completed", "failed", "cancelled")
                and j
            )
        )

    assert done["status"] == "completed", done["scenes"]
    assert [s["audio_status"] for s in done["scenes"]] == ["completed"]
    assert engine.loads == 1  # nothing was stopped, the model never restarted

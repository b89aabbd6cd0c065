"""Load, unload and /tts interleaved from several threads over real loopback HTTP, ITERATIONS
times: only documented answers, the engine never runs two calls at once, and the final state
agrees with itself."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import requests

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.live import serving

ITERATIONS = 120  # 300 took 64 s of the default run on a loaded machine
ACTIONS = ("load", "unload", "tts")


def test_interleaved_load_unload_and_tts_stay_consistent(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path, load_on_startup=False, quality_check="off"
    )
    engine = FakeEngine(delay=0.002, load_delay=0.005)
    with serving(create_app(settings, engine)) as url:

        def act(i: int) -> tuple[str, int]:
            action = random.Random(i).choice(ACTIONS)
            if action == "tts":
                response = requests.post(f"{url}/tts", json={"text": f"Call {i}."}, timeout=60)
            else:
                response = requests.post(f"{url}/model/{action}", timeout=60)
            return action, response.status_code

        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(act, range(ITERATIONS)))
        health = requests.get(f"{url}/health", timeout=10).json()
        loaded, balance = engine.is_loaded(), engine.loads - engine.unloads  # before shutdown

    assert {status for _, status in results} <= {200, 429}, results
    assert {action for action, _ in results} == set(ACTIONS)
    assert engine.max_active == 1  # never two model calls at once
    assert health["in_flight"] == 0
    assert health["state"] in ("ready", "unloaded")
    assert health["model_loaded"] == loaded == (health["state"] == "ready")
    assert balance == int(loaded)

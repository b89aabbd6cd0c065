from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from backend.core.settings import Settings
from backend.core.speech import SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from backend.jobs.quality import QualityChecker, asr_installed
from backend.main import create_app
from tests.helpers.api import LOCAL

SENTENCE = "The gardener walks slowly along the river and waits patiently near the old station."


@pytest.fixture(scope="module")
def checker():
    return QualityChecker()


def test_asr_is_installed_for_the_tests():
    assert asr_installed()


def test_clear_speech_scores_a_low_word_error_rate(checker):
    engine = PiperEngine()
    engine.load()
    audio = engine.synthesize(SENTENCE, "builtin", SynthesisParams())
    assert checker.word_error_rate(audio, SENTENCE) <= 0.2


def test_a_tone_instead_of_speech_scores_a_high_word_error_rate(checker):
    engine = FakeEngine()
    engine.load()
    audio = engine.synthesize(SENTENCE, None, SynthesisParams())
    assert checker.word_error_rate(audio, SENTENCE) >= 0.8


def run_text_job(tmp_path, **settings_overrides) -> dict:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        load_on_startup=False,
        quality_check="on",
        **settings_overrides,
    )
    with TestClient(create_app(settings, PiperEngine()), base_url=LOCAL) as client:
        job = client.post("/jobs", data={"text": SENTENCE}).json()
        deadline = time.monotonic() + 60
        while (current := client.get(f"/jobs/{job['id']}").json())["status"] != "completed":
            assert time.monotonic() < deadline, current
            time.sleep(0.1)
        return current


def test_each_scene_stores_its_quality_score(tmp_path):
    job = run_text_job(tmp_path)
    quality = job["scenes"][0]["quality"]
    assert quality["takes"] == 1
    assert quality["wer"] <= 0.35


def test_a_scene_heard_badly_is_retaken_with_new_seeds_up_to_the_limit(tmp_path):
    job = run_text_job(tmp_path, quality_max_wer=-1.0, quality_retakes=2)  # nothing passes
    assert job["scenes"][0]["quality"]["takes"] == 3
    assert job["status"] == "completed"  # the best take is kept, the narration goes on

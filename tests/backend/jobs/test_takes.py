"""The speaker check of job scenes: backend/jobs/takes.py (which take is kept) and the worker's
re-take loop, with the FakeEngine behind the real app and SQLite in tmp_path."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backend.core.settings import Settings
from backend.core.speech import Audio
from backend.engines.fake import FakeEngine
from backend.jobs.takes import Take, TakeJudge
from backend.main import create_app
from tests.helpers.api import LOCAL

ONE_SCENE = "A single short scene."
TWO_SCENES = "The first scene goes" + " on" * 80 + ". The second scene goes" + " on" * 80 + "."


def run_job(tmp_path, engine: FakeEngine, text: str = ONE_SCENE, **overrides) -> dict:
    """Narrate `text` as a job on `engine` (the built-in voice) and return the finished job."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        model_cache_dir=tmp_path / "model_cache",
        load_on_startup=False,
        **({"quality_check": "off"} | overrides),  # the fake engine speaks tones, not words
    )
    with TestClient(create_app(settings, engine), base_url=LOCAL) as client:
        job_id = client.post("/jobs", data={"text": text}).json()["id"]
        deadline = time.monotonic() + 30
        while (job := client.get(f"/jobs/{job_id}").json())["status"] not in (
            "completed",
            "failed",
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
        return job


# ---- the worker -----------------------------------------------------------------------------


def test_every_scene_stores_its_similarity_to_the_voice_after_one_passing_take(tmp_path):
    engine = FakeEngine()

    job = run_job(tmp_path, engine, TWO_SCENES)

    assert job["status"] == "completed"
    assert [s["speaker_similarity"] for s in job["scenes"]] == [1.0, 1.0]
    assert [s["quality"] for s in job["scenes"]] == [
        {"takes": 1, "speaker_min_similarity": 0.6}
    ] * 2
    assert len(engine.calls) == 2


def test_a_scene_whose_first_take_sounds_unlike_the_voice_is_retaken_and_the_passing_take_kept(
    tmp_path,
):
    engine = FakeEngine(similarity_when=lambda call: 0.2 if call == 0 else None)

    job = run_job(tmp_path, engine)

    [scene] = job["scenes"]
    assert len(engine.calls) == 2
    assert engine.similarities == [0.2, 1.0]
    assert scene["speaker_similarity"] == 1.0
    assert scene["quality"]["takes"] == 2
    assert job["status"] == "completed"


def test_a_scene_always_below_the_minimum_ends_after_the_retakes_with_the_best_take_kept(
    tmp_path,
):
    scores = (0.3, 0.55, 0.5)
    engine = FakeEngine(similarity_when=lambda call: scores[call])

    job = run_job(tmp_path, engine, quality_retakes=2)

    [scene] = job["scenes"]
    assert len(engine.calls) == 3  # 1 + quality_retakes, and no more
    assert scene["speaker_similarity"] == 0.55
    assert scene["quality"] == {"takes": 3, "speaker_min_similarity": 0.6}
    assert job["status"] == "completed"  # the narration goes on with the best take


def test_the_minimum_similarity_is_a_setting(tmp_path):
    engine = FakeEngine(similarity_when=lambda call: 0.5)

    job = run_job(tmp_path, engine, speaker_min_similarity=0.4)

    assert job["scenes"][0]["speaker_similarity"] == 0.5
    assert len(engine.calls) == 1


def test_with_the_speaker_check_off_nothing_is_scored_and_one_take_is_made(tmp_path):
    engine = FakeEngine(similarity_when=lambda call: -1.0)

    job = run_job(tmp_path, engine, speaker_check="off")

    [scene] = job["scenes"]
    assert (scene["speaker_similarity"], scene["quality"]) == (None, None)
    assert len(engine.calls) == 1
    assert engine.similarities == []  # the engine was never asked


def test_an_engine_that_cannot_judge_stores_no_similarity_and_makes_one_take(tmp_path):
    engine = FakeEngine(judges_speaker=False)

    job = run_job(tmp_path, engine)  # speaker_check "auto"

    [scene] = job["scenes"]
    assert (scene["speaker_similarity"], scene["quality"]) == (None, None)
    assert len(engine.calls) == 1
    assert job["status"] == "completed"


def test_speaker_check_on_with_an_engine_that_cannot_judge_warns_once_and_goes_on(tmp_path, caplog):
    engine = FakeEngine(judges_speaker=False)

    job = run_job(tmp_path, engine, TWO_SCENES, speaker_check="on")

    assert job["status"] == "completed"
    assert [s["speaker_similarity"] for s in job["scenes"]] == [None, None]
    assert caplog.text.count("cannot judge the speaker") == 1


# ---- which take is kept ---------------------------------------------------------------------


def judge(**overrides) -> TakeJudge:
    settings = Settings(_env_file=None, quality_max_wer=0.35, speaker_min_similarity=0.75)
    return TakeJudge(settings.model_copy(update=overrides), checker=None)


def take(number: int, wer: float | None = None, similarity: float | None = None) -> Take:
    return Take(Audio(np.zeros(8, np.float32), 16000), number, wer, similarity)


def best(judge: TakeJudge, *takes: Take) -> Take:
    kept = None
    for candidate in takes:
        kept = judge.better(kept, candidate)
    assert kept is not None
    return kept


def test_a_take_counts_each_check_it_fails_and_an_unrun_check_never_fails():
    rules = judge()

    assert rules.failures(take(1, wer=0.1, similarity=0.9)) == 0
    assert rules.failures(take(1, wer=0.5, similarity=0.9)) == 1
    assert rules.failures(take(1, wer=0.1, similarity=0.5)) == 1
    assert rules.failures(take(1, wer=0.5, similarity=0.5)) == 2
    assert rules.failures(take(1)) == 0
    assert rules.passes(take(1, similarity=0.75))  # the minimum itself passes


def test_a_take_failing_fewer_checks_is_kept_over_a_more_similar_one_failing_more():
    failing_both = take(1, wer=0.9, similarity=0.7)
    failing_voice = take(2, wer=0.1, similarity=0.2)

    assert best(judge(), failing_both, failing_voice) is failing_voice


def test_among_takes_failing_as_many_checks_the_more_similar_is_kept_then_fewer_wrong_words():
    rules = judge()
    a, b, c = take(1, wer=0.5, similarity=0.6), take(2, wer=0.9, similarity=0.7), take(3, 0.4, 0.7)

    assert best(rules, a, b) is b
    assert best(rules, a, b, c) is c


def test_on_a_tie_the_earliest_take_is_kept_and_a_judged_take_beats_an_unjudged_one():
    rules = judge()
    first, again = take(1, similarity=0.9), take(2, similarity=0.9)

    assert best(rules, first, again) is first
    assert best(rules, take(1), take(2, similarity=0.8)).number == 2


@pytest.mark.parametrize(
    ("kept", "takes", "quality"),
    [
        (take(1), 1, None),
        (take(1, wer=0.12345), 1, {"takes": 1, "wer": 0.123}),
        (take(2, similarity=0.8), 2, {"takes": 2, "speaker_min_similarity": 0.75}),
        (
            take(3, wer=0.2, similarity=0.8),
            3,
            {"takes": 3, "wer": 0.2, "speaker_min_similarity": 0.75},
        ),
    ],
)
def test_the_stored_quality_names_the_takes_and_each_check_that_ran(kept, takes, quality):
    assert judge().quality(kept, takes) == quality


def test_with_speaker_repair_convert_a_take_unlike_the_voice_is_revoiced_not_retaken(tmp_path):
    engine = FakeEngine(similarity_when=lambda call: 0.2 if call == 0 else None)

    job = run_job(tmp_path, engine, speaker_repair="convert")

    [scene] = job["scenes"]
    synthesised = [text for text, _ in engine.calls if text != "<convert>"]
    assert len(synthesised) == 1  # no whole re-take
    assert [text for text, _ in engine.calls].count("<convert>") == 1
    assert engine.similarities == [0.2, 1.0]  # the converted take was judged again, and passed
    assert scene["quality"] == {
        "takes": 1,
        "speaker_min_similarity": 0.6,
        "repair": "voice_conversion",
    }
    assert job["progress"]["voice_converted"] == 1
    assert job["progress"]["retaken"] == 0


def test_an_engine_that_cannot_convert_falls_back_to_a_retake(tmp_path):
    engine = FakeEngine(
        similarity_when=lambda call: 0.2 if call == 0 else None, can_convert_voice=False
    )

    job = run_job(tmp_path, engine, speaker_repair="convert")

    [scene] = job["scenes"]
    assert len(engine.calls) == 2 and "<convert>" not in [t for t, _ in engine.calls]
    assert scene["quality"]["takes"] == 2
    assert job["progress"]["retaken"] == 1

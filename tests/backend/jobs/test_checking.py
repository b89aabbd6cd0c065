"""The Whisper check off the critical path (backend/jobs/checking.py and the narrator's
`settle`): a checker standing in for Whisper that holds each hearing until the test lets it go,
the FakeEngine, and a real JobStore in tmp_path (the runner driven as in test_worker.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from backend.core.speech import Audio
from backend.engines.fake import FakeEngine
from backend.jobs.quality import Heard
from tests.backend.jobs.test_worker import WAIT, Rig, wait_for

TWO = "The first scene goes" + " on" * 80 + ". The second scene goes" + " on" * 80 + "."


class HeldChecker:
    """Hears what `heard(call)` says (call from 0), once the test releases that call."""

    def __init__(self, heard: Callable[[int], str]):
        self.heard = heard
        self.calls = 0
        self.waiting = threading.Event()
        self.release = threading.Semaphore(0)

    def hear(self, audio: Audio) -> Heard:
        call, self.calls = self.calls, self.calls + 1
        self.waiting.set()
        assert self.release.acquire(timeout=WAIT), "the test never released the check"
        return Heard(self.heard(call), ())


def rig_with(tmp_path, checker: HeldChecker, **settings) -> Rig:
    """A started runner whose Whisper check is `checker` (the speaker check cannot judge)."""
    engine = FakeEngine(judges_speaker=False)
    rig = Rig(tmp_path, engine, checker=checker, quality_check="on", **settings)
    rig.runner.start()
    return rig


def test_a_scene_is_playable_while_checked_and_the_next_is_spoken_meanwhile(tmp_path) -> None:
    checker = HeldChecker(lambda call: "")  # the words are wrong, but no re-takes are allowed
    rig = rig_with(tmp_path, checker, quality_retakes=0)
    try:
        job_id = rig.text_job(TWO)
        assert checker.waiting.wait(WAIT)

        both = wait_for(lambda: (job := rig.job(job_id))["progress"]["completed"] == 2 and job)

        assert [s["check_status"] for s in both["scenes"]] == ["checking", "checking"]
        assert both["status"] == "processing" and not both["final_audio_path"]
        checker.release.release(2)
        done = rig.settled(job_id)
        assert done["status"] == "completed" and done["final_audio_path"]
        assert [s["check_status"] for s in done["scenes"]] == ["failed", "failed"]
    finally:
        checker.release.release(10)
        rig.shutdown()


def test_a_failing_check_queues_a_retake_chosen_only_when_it_scores_better(tmp_path) -> None:
    words = {0: "", 1: "nothing"}  # take 1 all wrong; the re-take no better; then no more
    checker = HeldChecker(lambda call: words.get(call, ""))
    rig = rig_with(tmp_path, checker, quality_retakes=1)
    try:
        job_id = rig.text_job("A single short scene.")
        checker.release.release(1)
        retaking = wait_for(lambda: (s := rig.job(job_id)["scenes"][0])["takes"] == 2 and s)
        assert retaking["check_status"] == "retaking" and retaking["take"] == 1
        checker.release.release(1)

        done = rig.settled(job_id)

        [scene] = done["scenes"]
        assert (scene["take"], scene["check_status"], scene["quality"]["takes"]) == (1, "failed", 2)
        reasons = [t["reason"] for t in rig.runner.takes.list_takes(job_id, 1)]
        assert reasons == ["first", "check"]
    finally:
        checker.release.release(10)
        rig.shutdown()


def test_a_retake_that_passes_replaces_the_chosen_take(tmp_path) -> None:
    checker = HeldChecker(lambda call: "" if call == 0 else "A single short scene.")
    rig = rig_with(tmp_path, checker, quality_retakes=2)
    try:
        checker.release.release(10)
        job_id = rig.text_job("A single short scene.")

        [scene] = rig.settled(job_id)["scenes"]

        assert (scene["take"], scene["check_status"]) == (2, "passed")
        assert scene["quality"] == {"takes": 2, "wer": 0.0}
    finally:
        rig.shutdown()


def test_a_check_left_queued_at_shutdown_is_heard_at_the_next_start(tmp_path) -> None:
    checker = HeldChecker(lambda call: "")
    rig = rig_with(tmp_path, checker, quality_retakes=0)
    job_id = rig.text_job(TWO)
    assert checker.waiting.wait(WAIT)
    wait_for(lambda: rig.job(job_id)["progress"]["completed"] == 2)
    rig.runner.checks.stop(0)  # as at shutdown: the check being heard ends, the queued one waits
    checker.release.release(1)
    wait_for(lambda: rig.job(job_id)["scenes"][0]["check_status"] == "failed")
    assert rig.job(job_id)["scenes"][1]["check_status"] == "checking"
    rig.shutdown()

    again = HeldChecker(lambda call: "")
    again.release.release(10)
    rig = rig_with(tmp_path, again, quality_retakes=0)
    try:
        done = rig.settled(job_id)
        assert [s["check_status"] for s in done["scenes"]] == ["failed", "failed"]
        assert again.calls == 1 and done["final_audio_path"]
    finally:
        rig.shutdown()


def test_a_queued_retake_survives_a_restart(tmp_path) -> None:
    rig = Rig(tmp_path, FakeEngine())
    rig.runner.start()
    job_id = rig.text_job("A single short scene.")
    rig.settled(job_id)
    rig.runner.stop()  # the worker stops; the request is only stored
    request, _ = rig.runner.request_take(job_id, 1, "A fixed short scene.")
    rig.manager.close()
    rig.runner.close()

    rig = Rig(tmp_path, FakeEngine())
    rig.runner.start()
    try:
        scene = wait_for(lambda: (s := rig.job(job_id)["scenes"][0])["take"] == 2 and s)
        assert request is not None and scene["pending_takes"] == 0
        assert rig.runner.takes.get_take(job_id, 1, 2)["text"] == "A fixed short scene."
    finally:
        rig.shutdown()

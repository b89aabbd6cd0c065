"""SceneFeed (frontend/scene_feed.py) against FakeApi: each poll reads the job and only the scenes
that can still change, and what it holds is always what GET /jobs/{id} would have said."""

from __future__ import annotations

import random

from frontend.scene_feed import PAGE, WINDOW, SceneFeed, settled
from tests.frontend import fake_jobs
from tests.frontend.fake_api import FakeApi


def polled(fake: FakeApi, feed: SceneFeed) -> tuple[dict, list[int]]:
    """One poll: the job it gives and the idx of the scene rows it read."""
    before = len(fake.scenes_sent)
    job = feed.poll(fake)
    return job, fake.scenes_sent[before:]


def test_the_first_poll_reads_every_scene_once_in_pages(fake: FakeApi):
    job_id = fake.add_job(scenes=1200, completed=10, processing=1)

    job, read = polled(fake, SceneFeed(job_id))

    assert job == fake.job(job_id)
    assert sorted(read) == list(range(1, 1201))
    assert len(fake.calls_to("job_scenes")) == 1 + -(-(1200 - WINDOW) // PAGE)
    assert not fake.calls_to("job")[:-1]  # only the comparison above asked for the whole job


def test_a_later_poll_of_a_long_job_reads_one_page_of_the_unsettled_scenes(fake: FakeApi):
    job_id = fake.add_job(scenes=1000, completed=990, processing=1)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    fake.complete_scene(job_id, 991)
    fake_jobs.start_scene(fake.records[job_id], 992)

    job, read = polled(fake, feed)

    assert job == fake.job(job_id)
    assert read == list(range(991, 1001))  # the ten still changing, nothing before them
    assert fake.calls_to("job_scenes")[-1] == {"job_id": job_id, "after": 990, "limit": WINDOW}


def test_a_scene_once_read_settled_is_never_read_again_while_the_job_runs(fake: FakeApi):
    job_id = fake.add_job(scenes=60)
    feed = SceneFeed(job_id)
    seen_settled: set[int] = set()
    for step in range(60):
        fake_jobs.start_scene(fake.records[job_id], step + 1)
        job, read = polled(fake, feed)
        assert job == fake.job(job_id)
        assert not seen_settled & set(read), f"poll {step} read a settled scene again"
        assert step == 0 or len(read) <= WINDOW  # the first poll reads all 60
        seen_settled |= {s["idx"] for s in job["scenes"] if settled(s) and s["idx"] in read}
        if step % 7 == 3:
            fake.fail_scene(job_id, step + 1)
        else:
            fake.complete_scene(job_id, step + 1)

    job, read = polled(fake, feed)
    assert job == fake.job(job_id) and job["status"] == "failed"
    assert read == [60]
    assert polled(fake, feed)[1] == []  # every scene settled: the one page read is empty


def test_a_scene_spoken_but_still_drawing_its_image_is_read_until_the_image_is_done(
    fake: FakeApi,
):
    job_id = fake.add_job(scenes=5, completed=2)
    fake.records[job_id]["scenes"][1].update(image_status="processing", image_path=None)
    feed = SceneFeed(job_id)
    feed.poll(fake)

    _, read = polled(fake, feed)
    assert read[0] == 2
    fake.complete_scene(job_id, 2)
    job, _ = polled(fake, feed)
    _, read = polled(fake, feed)

    assert job == fake.job(job_id)
    assert read[0] == 3


def test_scenes_added_while_the_document_is_read_are_picked_up(fake: FakeApi):
    job_id = fake.add_job(scenes=3, completed=3)
    fake.records[job_id].update(status="processing", extraction_status="processing")
    feed = SceneFeed(job_id)
    feed.poll(fake)
    record = fake.records[job_id]
    for idx in range(4, 80):
        fake_jobs.append_scene(record, f"Scene {idx} is new.", page=idx)

    job, read = polled(fake, feed)

    assert job == fake.job(job_id)
    assert read == list(range(4, 80))


def test_a_retried_scene_below_the_cursor_is_read_again(fake: FakeApi):
    job_id = fake.add_job(scenes=20, completed=10, processing=1)
    fake.fail_scene(job_id, 3)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    fake.retry_job(job_id)  # scene 3 waits again ...
    fake.fail_scene(job_id, 11)  # ... and the failed count is what it was

    job, read = polled(fake, feed)

    assert job == fake.job(job_id)
    assert job["scenes"][2]["audio_status"] == "pending"
    assert 3 in read


def test_a_retried_scene_that_finished_before_the_next_poll_is_read_again(fake: FakeApi):
    job_id = fake.add_job(scenes=20, completed=10, processing=1)
    fake.fail_scene(job_id, 3)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    fake.retry_job(job_id)
    fake.complete_scene(job_id, 3)  # nothing below the cursor is unsettled any more

    job, _ = polled(fake, feed)

    assert job == fake.job(job_id)
    assert job["scenes"][2]["audio_status"] == "completed"


def test_many_scenes_settled_between_two_polls_are_all_read_in_that_poll(fake: FakeApi):
    job_id = fake.add_job(scenes=900, completed=1, processing=1)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    for idx in range(2, 701):  # the engine broke: scene after scene failed at once
        fake.fail_scene(job_id, idx)

    job, read = polled(fake, feed)

    assert job == fake.job(job_id)
    assert read[0] == 2 and read[-1] >= 701


def test_scenes_that_the_server_no_longer_has_are_dropped(fake: FakeApi):
    job_id = fake.add_job(scenes=40, completed=5)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    record = fake.records[job_id]
    record["scenes"] = record["scenes"][:12]  # the unfinished scenes were split anew, fewer

    job, _ = polled(fake, feed)

    assert job == fake.job(job_id)
    assert len(job["scenes"]) == 12


def test_whatever_the_server_does_between_polls_the_feed_agrees_with_get_job(fake: FakeApi):
    job_id = fake.add_job(scenes=150)
    record = fake.records[job_id]
    feed = SceneFeed(job_id)
    chance = random.Random(14)
    for _ in range(120):
        pending = [s["idx"] for s in record["scenes"] if s["audio_status"] == "pending"]
        move = chance.choice(["speak", "speak", "speak", "fail", "retry", "image", "idle"])
        if move in ("speak", "fail") and pending:
            for idx in pending[: chance.randint(1, 30)]:
                if move == "speak":
                    fake.complete_scene(job_id, idx)
                else:
                    fake.fail_scene(job_id, idx)
        elif move == "retry":
            fake.retry_job(job_id)
        elif move == "image":
            done = [s for s in record["scenes"] if s["audio_status"] == "completed"]
            if done:
                chance.choice(done).update(image_status="processing")  # drawn again
        assert feed.poll(fake) == fake.job(job_id)


def test_the_assembly_times_every_scene_and_the_feed_reads_them_again(fake: FakeApi):
    job_id = fake.add_job(scenes=30, completed=29, processing=1)
    feed = SceneFeed(job_id)
    feed.poll(fake)
    fake.finish_job(job_id)  # the last scene spoken, the narration assembled: every scene timed

    job = feed.poll(fake)

    assert all(scene["start_seconds"] is not None for scene in job["scenes"])
    assert job == fake.job(job_id)

"""One open job (frontend/job_view.py), shown by the Narrate page for ?job=<id>."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from frontend.job_view import estimate_seconds_left
from frontend.scene_feed import WINDOW
from tests.frontend import fake_jobs, server_errors
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, labels, text_of, values
from tests.frontend.fake_api import FakeApi

START = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def test_completed_scenes_play_and_can_be_downloaded(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=2, processing=1)

    at = open_app(job=job_id)

    assert not at.exception
    assert len(at.get("audio")) == 2
    assert labels(at.get("download_button")) == ["Download scene", "Download scene"]
    assert [call["index"] for call in fake.calls_to("scene_audio")] == [1, 2]


def test_scenes_still_to_come_show_a_placeholder_and_their_turn(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=2, processing=1)

    at = open_app(job=job_id)

    captions = values(at.main.caption)
    assert "Narrating now… — Scene 3 reads this sentence aloud." in captions
    assert "Waiting its turn — Scene 4 reads this sentence aloud." in captions
    assert "Waiting its turn — Scene 5 reads this sentence aloud." in captions
    assert len(at.get("skeleton")) == 3


def test_a_scene_finished_since_the_last_poll_starts_playing(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=1, processing=1)
    at = open_app(job=job_id)
    assert len(at.get("audio")) == 1
    fake.complete_scene(job_id, 2)

    at.run()  # the fragment's poll (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert len(at.get("audio")) == 2
    assert at.main.get("progress")[0].text.startswith("2 of 5 scenes narrated")
    assert [call["index"] for call in fake.calls_to("scene_audio")] == [1, 2]  # scene 1 cached


def test_each_poll_of_a_long_job_reads_only_the_scenes_that_can_still_change(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=1000, completed=990, processing=1)
    at = open_app(job=job_id)
    assert sorted(set(fake.scenes_sent)) == list(range(1, 1001))  # a new session reads them all
    first = len(fake.scenes_sent)
    fake.complete_scene(job_id, 991)

    at.run()  # the fragment's poll (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert at.main.get("progress")[0].text.startswith("991 of 1000 scenes narrated")
    read = fake.scenes_sent[first:]
    assert read and set(read) <= set(range(991, 1001))  # none of the 990 completed before
    assert len(read) <= 2 * WINDOW  # the page and its fragment each read one short page
    assert not fake.calls_to("job")  # never the whole job with its 1,000 scenes


def test_a_poll_shows_the_scenes_the_document_gave_since(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    fake.records[job_id].update(status="processing", extraction_status="processing")
    at = open_app(job=job_id)
    record = fake.records[job_id]
    fake_jobs.append_scene(record, "Scene 3 came with page 3.", page=3)

    at.run()

    assert not at.exception
    assert "Waiting its turn — Scene 3 came with page 3." in values(at.main.caption)
    assert at.main.get("progress")[0].text.startswith("2 of 3+ scenes narrated")


def test_progress_says_how_many_scenes_are_narrated_and_time_left(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=2, processing=1)

    at = open_app(job=job_id)

    [bar] = at.main.get("progress")
    assert bar.text.startswith("2 of 5 scenes narrated")
    assert bar.text.endswith("under a minute left")  # 3 s a scene, 3 scenes to go
    assert bar.value == 40


def test_a_pdf_scene_shows_its_page_image(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=1)

    at = open_app(job=job_id)

    [image] = at.image
    assert image.captions == ["Page 1"]
    assert fake.calls_to("scene_image") == [{"job_id": job_id, "index": 1}]


def test_a_text_scene_has_no_image(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=1, source_kind="text")

    at = open_app(job=job_id)

    assert not at.image
    assert len(at.get("audio")) == 1
    assert not fake.calls_to("scene_image")


@pytest.mark.parametrize("fmt", ["epub", "docx", "md"])
def test_an_ebook_scene_shows_its_chapter_title_instead_of_a_page_image(
    fake: FakeApi, open_app: OpenApp, fmt
):
    job_id = fake.add_job("The Quiet River", scenes=4, completed=3, source_format=fmt)

    at = open_app(job=job_id)

    assert not at.exception
    assert not at.image and not fake.calls_to("scene_image")
    assert len(at.get("audio")) == 3
    shown = values(at.markdown)
    assert shown.count("**Chapter 1**") == 2 and shown.count("**Chapter 2**") == 1


def test_cancel_asks_the_server_to_stop_and_offers_retry(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=2, processing=1)
    at = open_app(job=job_id)

    at.button(key="job_cancel").click().run()

    assert not at.exception
    assert fake.calls_to("cancel_job") == [{"job_id": job_id}]
    assert values(at.toast) == ["Stopped after the current scene."]
    assert at.main.markdown[0].value.startswith(":orange[Cancelled]")
    assert "Cancel" not in labels(at.main.button)
    assert "Retry" in labels(at.main.button)


def test_retry_requeues_the_failed_scenes(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=2)
    fake.fail_scene(job_id, 3, "Speech synthesis failed: the text has no speakable words.")
    at = open_app(job=job_id)
    assert "1 of 3 scenes failed." in values(at.main.error)
    assert "Speech synthesis failed: the text has no speakable words." in values(at.main.error)

    labelled(at.main.button, "Retry").click().run()

    assert not at.exception
    assert fake.calls_to("retry_job") == [{"job_id": job_id}]
    assert values(at.toast) == ["Narrating the unfinished scenes again."]
    assert at.main.markdown[0].value.startswith(":gray[Waiting]")
    assert "Waiting its turn — Scene 3 reads this sentence aloud." in values(at.main.caption)


def test_a_completed_job_offers_the_narration_as_m4b_mp3_and_wav(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=5, completed=5)

    at = open_app(job=job_id)

    assert values(at.success) == ["The narration is ready: 0:14 of audio."]  # 5 x 2.9 s
    assert labels(at.get("download_button"))[:3] == [
        "Download M4B",
        "Download MP3",
        "Download WAV",
    ]
    assert "Cancel" not in labels(at.main.button)
    assert "Retry" not in labels(at.main.button)


def test_the_whole_narration_is_fetched_only_when_downloaded(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)

    at = open_app(job=job_id)

    mp3 = labelled(at.get("download_button"), "Download MP3")
    assert mp3.proto.deferred_file_id  # the bytes come from the callable on click
    assert not fake.calls_to("job_audio")


def test_a_running_job_shows_its_end_once_the_server_finishes_it(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=4, completed=1, processing=1)
    at = open_app(job=job_id)
    assert "Download MP3" not in labels(at.get("download_button"))
    fake.finish_job(job_id)

    at.run()  # the fragment's poll (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert at.main.markdown[0].value.startswith(":green[Completed]")
    assert len(at.get("audio")) == 4
    assert "Download MP3" in labels(at.get("download_button"))
    assert at.main.get("progress")[0].text == "4 of 4 scenes narrated"


def test_a_document_still_being_read_shows_that_more_scenes_will_come(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=0)
    fake.records[job_id].update(extraction_status="processing", total_pages=40)

    at = open_app(job=job_id)

    assert at.main.get("progress")[0].text == "0 of 0+ scenes narrated"
    assert "Still reading the document of 40; more scenes will appear." in values(at.caption)
    assert "Reading the first page…" in values(at.caption)


def test_a_job_that_failed_before_any_scene_does_not_claim_to_be_reading(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=0)
    message = "The PDF has no text layer (it looks scanned or made of images)."
    fake.records[job_id].update(
        status="failed",
        extraction_status="failed",
        error_code="document_no_text",
        error_message=message,
    )

    at = open_app(job=job_id)

    assert values(at.main.error) == [message]
    assert "Retry" in labels(at.main.button)
    assert "Reading the first page…" not in values(at.caption)  # nothing is being read
    assert not at.get("skeleton")


def test_scenes_beyond_ten_are_on_a_second_page(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=12, completed=12)
    at = open_app(job=job_id)
    assert len(at.get("audio")) == 10

    at.pagination[0].set_value(2).run()

    scenes = [line for line in values(at.main.markdown) if line.startswith("**Scene")]
    assert scenes == ["**Scene 11** · page 11", "**Scene 12** · page 12"]
    assert len(at.get("audio")) == 2


def test_scene_audio_that_cannot_be_fetched_shows_a_warning(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=1, processing=1)
    fake.fail_next("scene_audio", server_errors.not_ready("Scene 1 is being written."))

    at = open_app(job=job_id)

    assert not at.exception
    assert "could not be fetched" in text_of(at.warning)
    assert not at.get("audio")


def test_an_unknown_job_shows_the_error_and_closes_it(fake: FakeApi, open_app: OpenApp):
    at = open_app(job="0123456789abcdef")

    assert not at.exception
    shown = text_of(at.error)
    assert "There is no such job." in shown
    assert "List the jobs with GET /jobs." in shown
    assert "job" not in at.query_params
    at.run()
    assert labelled(at.main.button, "Generate narration")


def test_new_narration_closes_the_job(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    at = open_app(job=job_id)

    labelled(at.main.button, "New narration").click().run()

    assert "job" not in at.query_params
    assert labelled(at.main.button, "Generate narration")


def checked(fake: FakeApi, job_id: str, idx: int, similarity: float, takes: int = 1) -> None:
    """Scene `idx` as the server stores it after the speaker check (minimum 0.75)."""
    scene = fake.records[job_id]["scenes"][idx - 1]
    scene.update(speaker_similarity=similarity)
    scene.update(quality={"takes": takes, "speaker_min_similarity": 0.75})


def headings(at) -> list[str]:
    return [line for line in values(at.main.markdown) if line.startswith("**Scene")]


def test_a_checked_scene_shows_its_voice_match_next_to_its_heading(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=2)
    checked(fake, job_id, 1, 0.9137)

    at = open_app(job=job_id)

    assert not at.exception
    assert headings(at)[:2] == ["**Scene 1** · page 1 · voice match 0.91", "**Scene 2** · page 2"]


def test_a_voice_match_below_the_minimum_is_flagged_with_the_takes_it_needed(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=2, completed=2)
    checked(fake, job_id, 1, 0.62, takes=3)
    checked(fake, job_id, 2, 0.8, takes=2)

    at = open_app(job=job_id)

    assert headings(at) == [
        "**Scene 1** · page 1 · :orange[:material/warning: voice match 0.62, below 0.75]"
        " · best of 3 takes",
        "**Scene 2** · page 2 · voice match 0.80 · best of 2 takes",
    ]


# -- estimate_seconds_left ----------------------------------------------------------------------


def _job(spans: list[float], pending: int, processing: int = 0) -> dict[str, Any]:
    """A job whose finished scenes took `spans` seconds each, one after the other."""
    scenes = []
    for idx, span in enumerate(spans, start=1):
        start = START + timedelta(seconds=100 * idx)
        end = start + timedelta(seconds=span)
        times = {"started_at": start.isoformat(), "finished_at": end.isoformat()}
        scenes.append({"idx": idx, "audio_status": "completed", **times})
    counts = {"completed": len(spans), "pending": pending, "processing": processing, "failed": 0}
    return {"scenes": scenes, "progress": {"total": sum(counts.values()), **counts}}


def test_estimate_is_the_mean_scene_time_times_the_scenes_left():
    assert estimate_seconds_left(_job([2.0, 4.0], pending=2, processing=1)) == pytest.approx(9.0)


def test_estimate_uses_only_the_last_twenty_finished_scenes():
    spans = [100.0] * 5 + [1.0] * 20

    assert estimate_seconds_left(_job(spans, pending=10)) == pytest.approx(10.0)


def test_estimate_is_unknown_before_any_scene_has_finished():
    assert estimate_seconds_left(_job([], pending=5)) is None


def test_estimate_is_unknown_when_nothing_is_left():
    assert estimate_seconds_left(_job([3.0, 3.0], pending=0)) is None


def test_estimate_ignores_scenes_without_times():
    job = _job([2.0], pending=1)
    job["scenes"].append({"idx": 2, "audio_status": "failed", "finished_at": None})

    assert estimate_seconds_left(job) == pytest.approx(2.0)


def test_a_finished_job_shows_its_mastering_report_as_a_table(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    fake.records[job_id]["params"]["mastering"] = "audiobook"

    at = open_app(job=job_id)

    assert not at.exception
    assert fake.calls_to("job_report") == [{"job_id": job_id}]
    table = at.dataframe[0].value
    assert list(table["Chapter"]) == ["(whole)"]
    assert list(table["RMS dBFS ✓"]) == [-20.1]
    assert "passes the audiobook-store rules" in text_of(at.caption)


def test_a_standard_job_report_marks_the_rules_it_fails(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)

    at = open_app(job=job_id)

    table = at.dataframe[0].value
    assert "Peak dBTP ✗" in table.columns and "Head s ✗" in table.columns
    assert "does not pass" in text_of(at.caption)


def test_an_unfinished_job_asks_for_no_report(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=1)
    open_app(job=job_id)
    assert fake.calls_to("job_report") == []


def test_the_header_names_the_model_and_language_the_job_speaks_in(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=2)
    fake.records[job_id]["params"] |= {"model": "multilingual", "language": "de"}

    at = open_app(job=job_id)

    assert not at.exception
    [header] = [text for text in values(at.markdown) if "voice **" in text]
    assert "model **multilingual** · German (de)" in header


def test_the_grade_asked_for_is_shown_beside_the_measured_reading_grade(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=2, completed=2)
    fake.records[job_id].update(grade_level="Grade 4", reading_grade=6.24)

    at = open_app(job=job_id)

    assert (
        "Asked for: Grade 4 · the text reads at grade 6.2 (the text is read as written)"
        in values(at.main.caption)
    )

"""The scene editor in the open job (frontend/scene_editor.py): edit a scene's text and its own
settings, Save or Regenerate, the stale / checking / re-taking badges, the spoken text beside
the text, and "Regenerate stale scenes"."""

from __future__ import annotations

from frontend.api_client import ApiError
from frontend.scene_editor import BADGES
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import text_of, values
from tests.frontend.fake_api import FakeApi


def headings(at) -> list[str]:
    return [line for line in values(at.main.markdown) if line.startswith("**Scene")]


def test_saving_an_edited_text_stores_it_and_marks_the_spoken_scene_stale(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=3)
    at = open_app(job=job_id)

    at.text_area(key="scene_text_2").set_value("Scene two, said better.")
    at.button(key="scene_save_2").click().run()

    assert not at.exception
    assert fake.calls_to("edit_scene") == [
        {"job_id": job_id, "index": 2, "text": "Scene two, said better.", "params": None}
    ]
    assert fake.records[job_id]["scenes"][1]["text"] == "Scene two, said better."
    assert "Scene 2 saved; it is stale until it is regenerated." in values(at.toast)
    assert headings(at)[1] == f"**Scene 2** · page 2 {BADGES['stale']}"
    assert at.button(key="job_regenerate_stale").label == "Regenerate stale scenes (1)"


def test_saving_nothing_changed_sends_nothing(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    at = open_app(job=job_id)

    at.button(key="scene_save_1").click().run()

    assert not fake.calls_to("edit_scene")
    assert values(at.toast) == ["Nothing to save: the text and settings are as they were."]


def test_an_empty_text_gets_the_servers_message_and_nothing_is_stored(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=2, completed=2)
    at = open_app(job=job_id)

    at.text_area(key="scene_text_1").set_value("   ")
    at.button(key="scene_save_1").click().run()

    assert not at.exception
    assert "The text is empty." in text_of(at.error)
    assert "Send some words to speak" in text_of(at.error)
    assert fake.records[job_id]["scenes"][0]["text"] == "Scene 1 reads this sentence aloud."


def test_regenerate_with_a_new_seed_queues_a_take_that_replaces_the_audio_when_made(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=3)
    at = open_app(job=job_id)
    audio_reads = len(fake.calls_to("scene_audio"))

    at.number_input(key="scene_seed_2").set_value(1234)
    at.slider(key="scene_rate_2").set_value(1.25)
    at.button(key="scene_regenerate_2").click().run()

    assert not at.exception
    [call] = fake.calls_to("regenerate_scene")
    assert call["text"] is None
    assert call["params"] == {
        "rate": 1.25, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8, "seed": 1234
    }  # fmt: skip
    assert values(at.toast) == [
        "A new take of scene 2 is queued; it is used as soon as it is made."
    ]
    assert headings(at)[1] == f"**Scene 2** · page 2 {BADGES['stale']} {BADGES['retaking']}"

    fake.make_takes(job_id)
    at.run()  # the fragment's poll (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert headings(at)[1] == "**Scene 2** · page 2"
    scene = fake.records[job_id]["scenes"][1]
    assert (scene["take"], scene["takes"], scene["stale"]) == (2, 2, False)
    later = [call["index"] for call in fake.calls_to("scene_audio")[audio_reads:]]
    assert 2 in later  # the new take's audio, not the cached first one
    assert at.slider(key="scene_rate_2").value == 1.25  # the scene's own setting, kept


def test_regenerating_a_failed_scene_puts_it_back_in_the_queue_with_its_edit(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=1)
    fake.fail_scene(job_id, 2, "The engine stopped.")
    at = open_app(job=job_id)

    at.text_area(key="scene_text_2").set_value("A shorter second scene.")
    at.button(key="scene_regenerate_2").click().run()

    assert not at.exception
    assert values(at.toast) == ["Scene 2 will be spoken as it is now, in its turn."]
    assert "Waiting its turn — A shorter second scene." in values(at.main.caption)


def test_checking_and_retaking_scenes_show_their_badges(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=3)
    scenes = fake.records[job_id]["scenes"]
    scenes[0]["check_status"] = "checking"
    scenes[1]["check_status"] = "retaking"
    scenes[2]["check_status"] = "passed"

    at = open_app(job=job_id)

    assert not at.exception
    assert headings(at) == [
        f"**Scene 1** · page 1 {BADGES['checking']}",
        f"**Scene 2** · page 2 {BADGES['retaking']}",
        "**Scene 3** · page 3",
    ]


def test_the_spoken_text_is_shown_beside_the_text_where_it_differs(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=2, completed=2)
    fake.put_lexicon_entry("sentence", "SEN-tunce")
    fake.regenerate_stale(job_id)
    fake.make_takes(job_id)

    at = open_app(job=job_id)

    captions = values(at.main.caption)
    assert "**Text:** Scene 1 reads this sentence aloud." in captions
    assert "**Spoken as:** Scene 1 reads this SEN-tunce aloud." in captions
    assert not [line for line in captions if line.startswith("**Spoken as:** Scene 3")]


def test_regenerate_stale_scenes_queues_only_the_stale_ones(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=3, completed=3)
    fake.records[job_id]["scenes"][0]["text"] = "Scene 1 has a word the lexicon knows."
    fake.put_lexicon_entry("lexicon", "LEX-i-con")
    at = open_app(job=job_id)
    assert headings(at)[0] == f"**Scene 1** · page 1 {BADGES['stale']}"

    at.button(key="job_regenerate_stale").click().run()

    assert not at.exception
    assert values(at.toast) == ["A new take is queued for each of 1 stale scenes."]
    assert [s["pending_takes"] for s in fake.records[job_id]["scenes"]] == [1, 0, 0]
    fake.make_takes(job_id)
    at.run()
    assert headings(at)[0] == "**Scene 1** · page 1"
    assert "**Spoken as:** Scene 1 has a word the LEX-i-con knows." in values(at.main.caption)
    assert not [b for b in at.button if b.key == "job_regenerate_stale"]


def test_a_failed_regenerate_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    fake.fail_next(
        "regenerate_scene",
        ApiError("job_not_found", "There is no such job.", "List the jobs with GET /jobs.", 404),
    )
    at = open_app(job=job_id)

    at.button(key="scene_regenerate_1").click().run()

    assert not at.exception
    assert "There is no such job." in text_of(at.error)

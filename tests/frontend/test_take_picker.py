"""A scene's takes side by side (frontend/take_picker.py): players, why each was made, scores,
and "Use this take"."""

from __future__ import annotations

from frontend.take_picker import scores
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import values
from tests.frontend.fake_api import FakeApi


def two_takes(fake: FakeApi, wer: float | None = None) -> str:
    """A finished job whose scene 2 was edited and re-taken: take 1 (first), take 2 (chosen)."""
    job_id = fake.add_job(scenes=3, completed=3)
    fake.regenerate_scene(job_id, 2, text="Scene two, said again.")
    fake.make_takes(job_id, wer=wer)
    return job_id


def test_the_takes_of_a_scene_play_side_by_side_with_reason_and_scores(
    fake: FakeApi, open_app: OpenApp
):
    job_id = two_takes(fake, wer=0.04)

    at = open_app(job=job_id)

    assert not at.exception
    lines = values(at.main.markdown)
    assert "**Takes** · 2 kept" in lines
    assert "**Take 1**" in lines and "**Take 2** · :green-badge[chosen]" in lines
    captions = values(at.main.caption)
    assert any(line.startswith("first take · ") for line in captions)
    assert any(line.startswith("after an edit · ") for line in captions)
    assert "0:03 · WER 0.04" in captions
    assert "Said: Scene 2 reads this sentence aloud." in captions  # take 1's own words
    heard = sorted((c["index"], c["take"]) for c in fake.calls_to("take_audio"))
    assert heard == [(2, 1), (2, 2)]
    assert len(at.get("audio")) == 3 + 2  # each scene's chosen take, and scene 2's two takes
    use = {b.key: b for b in at.main.button if b.key and b.key.startswith("use_take_")}
    assert set(use) == {"use_take_2_1", "use_take_2_2"}
    assert use["use_take_2_2"].disabled and not use["use_take_2_1"].disabled


def test_a_scene_with_one_take_shows_no_takes(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)

    at = open_app(job=job_id)

    assert not fake.calls_to("scene_takes")
    assert "**Takes** · 1 kept" not in values(at.main.markdown)


def test_use_this_take_chooses_it_and_the_scene_plays_it(fake: FakeApi, open_app: OpenApp):
    job_id = two_takes(fake)
    at = open_app(job=job_id)
    reads = len(fake.calls_to("scene_audio"))

    at.button(key="use_take_2_1").click().run()

    assert not at.exception
    assert fake.calls_to("choose_take") == [{"job_id": job_id, "index": 2, "take": 1}]
    assert values(at.toast) == ["Scene 2 now uses take 1; the narration follows it."]
    assert "**Take 1** · :green-badge[chosen]" in values(at.main.markdown)
    assert at.button(key="use_take_2_1").disabled
    assert [c["index"] for c in fake.calls_to("scene_audio")[reads:]] == [2]  # only its audio
    # the old text's take is chosen for the edited text: the scene is stale until regenerated
    assert fake.records[job_id]["scenes"][1]["stale"] is True


def test_a_take_for_an_unknown_number_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    job_id = two_takes(fake)
    at = open_app(job=job_id)
    fake.records[job_id]["_takes"][2].pop(0)  # the oldest went while the page was open

    at.button(key="use_take_2_1").click().run()

    assert not at.exception
    assert "The scene has no take 1." in values(at.error)[0]


def test_scores_say_what_the_checks_measured_or_that_none_ran():
    assert scores({"duration_seconds": 62.4, "wer": 0.125, "similarity": 0.91}) == (
        "1:02 · WER 0.12 · voice match 0.91"
    )
    assert scores({"duration_seconds": 2.9, "wer": None, "similarity": None}) == (
        "0:03 · not checked"
    )

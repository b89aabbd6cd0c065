"""Lexicon (frontend/app_pages/lexicon.py): global and per-job entries; add, change, remove;
Audition plays a sentence spoken with the entry."""

from __future__ import annotations

from tests.frontend import server_errors
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import card, text_of, values
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/lexicon.py"


def fill(at, word: str, respelling: str = "", phonemes: str = "", sentence: str = "") -> None:
    """Type into the form, as a user would: the page reruns, and the buttons follow."""
    at.text_input(key="lexicon_word").set_value(word)
    at.text_input(key="lexicon_respelling").set_value(respelling)
    at.text_input(key="lexicon_phonemes").set_value(phonemes)
    at.text_input(key="lexicon_sentence").set_value(sentence)
    at.run()


def test_the_global_entries_are_listed(fake: FakeApi, open_app: OpenApp):
    fake.put_lexicon_entry("Nguyen", "win")
    fake.put_lexicon_entry("Cholmondeley", "CHUM-lee", phonemes="tʃʌmli")

    at = open_app(PAGE)

    assert not at.exception
    assert fake.calls_to("lexicon")[-1] == {"job_id": None}
    assert [line for line in values(at.main.markdown) if "→" in line] == [
        "**Cholmondeley** → CHUM\\-lee",
        "**Nguyen** → win",
    ]
    assert values(card(at, "**Cholmondeley**").caption)[0].startswith("phonemes /tʃʌmli/ · ")


def test_adding_an_entry_saves_it_and_says_how_many_scenes_it_made_stale(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=2)
    at = open_app(PAGE)

    fill(at, "sentence", "SEN-tunce")
    at.button(key="lexicon_save").click().run()

    assert not at.exception
    assert fake.calls_to("put_lexicon_entry") == [
        {"word": "sentence", "respelling": "SEN-tunce", "phonemes": None, "job_id": None}
    ]
    assert values(at.toast) == [
        "Saved “sentence”. 2 spoken scenes are now stale: “Regenerate stale scenes” in the job "
        "re-makes them."
    ]
    assert [s["stale"] for s in fake.records[job_id]["scenes"]] == [True, True, False]
    assert "**sentence** → SEN\\-tunce" in values(at.main.markdown)


def test_save_and_audition_wait_for_a_word_and_a_way_to_say_it(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)
    assert at.button(key="lexicon_save").disabled
    assert at.button(key="lexicon_audition_button").disabled

    fill(at, "Nguyen")
    assert at.button(key="lexicon_save").disabled

    fill(at, "Nguyen", phonemes="wɪn")
    assert not at.button(key="lexicon_save").disabled
    assert not at.button(key="lexicon_audition_button").disabled


def test_a_jobs_own_entries_are_kept_with_the_job(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job("The Mill", scenes=2, completed=2)
    other = fake.add_job("Another book", scenes=2, completed=2)
    fake.put_lexicon_entry("Nguyen", "win")
    at = open_app(PAGE)

    at.selectbox(key="lexicon_scope").set_value(job_id).run()

    assert not at.exception
    assert fake.calls_to("lexicon")[-1] == {"job_id": job_id}
    assert "This job has no entries of its own." in values(at.main.caption)
    fill(at, "Scene", "Seen")
    at.button(key="lexicon_save").click().run()
    assert fake.calls_to("put_lexicon_entry")[-1]["job_id"] == job_id
    assert "**Scene** → Seen" in values(at.main.markdown)
    assert [s["stale"] for s in fake.records[job_id]["scenes"]] == [True, True]
    assert [s["stale"] for s in fake.records[other]["scenes"]] == [False, False]


def test_change_loads_an_entry_into_the_form_and_save_changes_it(fake: FakeApi, open_app: OpenApp):
    fake.put_lexicon_entry("Nguyen", "win")
    at = open_app(PAGE)

    [change] = [b for b in at.main.button if b.label == "Change"]
    change.click().run()

    assert at.text_input(key="lexicon_word").value == "Nguyen"
    assert at.text_input(key="lexicon_respelling").value == "win"
    at.text_input(key="lexicon_respelling").set_value("nwen")
    at.button(key="lexicon_save").click().run()
    assert not at.exception
    assert fake.entries[""]["nguyen"]["respelling"] == "nwen"
    assert "**Nguyen** → nwen" in values(at.main.markdown)


def test_remove_deletes_an_entry(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=1, completed=1)
    fake.put_lexicon_entry("sentence", "SEN-tunce")
    fake.regenerate_stale(job_id)
    fake.make_takes(job_id)
    at = open_app(PAGE)

    [remove] = [b for b in at.main.button if b.label == "Remove"]
    remove.click().run()

    assert not at.exception
    assert fake.calls_to("delete_lexicon_entry") == [{"word": "sentence", "job_id": None}]
    assert values(at.toast)[0].startswith("Removed “sentence”. 1 spoken scene is now stale")
    assert "No entries yet." in values(at.main.caption)


def test_audition_plays_the_sentence_in_the_jobs_voice(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job("The Mill", scenes=1)
    at = open_app(PAGE)
    at.selectbox(key="lexicon_scope").set_value(job_id).run()

    fill(at, "Nguyen", "win", sentence="Doctor Nguyen is here.")
    at.button(key="lexicon_audition_button").click().run()

    assert not at.exception
    assert fake.calls_to("audition") == [
        {"word": "Nguyen", "respelling": "win", "phonemes": None,
         "sentence": "Doctor Nguyen is here.", "voice": "builtin"}
    ]  # fmt: skip
    assert len(at.get("audio")) == 1
    assert "How “Nguyen” sounds with this entry:" in values(at.main.caption)
    assert not fake.calls_to("put_lexicon_entry")  # an audition saves nothing


def test_a_refused_entry_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    fake.fail_next("put_lexicon_entry", server_errors.lexicon_entry_empty())
    at = open_app(PAGE)

    fill(at, "Nguyen", "win")
    at.button(key="lexicon_save").click().run()

    assert not at.exception
    refused = server_errors.lexicon_entry_empty()
    assert refused.message in text_of(at.error) and refused.solution in text_of(at.error)


def test_a_server_that_is_down_gives_a_warning(fake: FakeApi, open_app: OpenApp):
    fake.down = True

    at = open_app(PAGE)

    assert not at.exception
    assert "is not answering." in text_of(at.main.warning)
    assert not at.main.button

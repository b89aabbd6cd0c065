"""The tag palette (frontend/tag_palette.py): a button per tag the model speaks, adding it to the
text; the tags a model that would read them aloud had removed; Turbo's unknown tags."""

from __future__ import annotations

from frontend.tag_palette import tags_in
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, labels, text_of, values
from tests.frontend.fake_api import FakeApi

QUICK = "app_pages/quick_speak.py"
GREETING = "Hello! This is how I sound when I read your documents aloud."
TAGS = ["[chuckle]", "[laugh]", "[sigh]"]


def _speak(at):
    return labelled(at.main.button, "Speak").click().run()


def test_turbo_loaded_offers_its_tags_and_a_click_adds_one_at_the_end(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    at = open_app(QUICK)
    assert [label for label in labels(at.main.button) if label.startswith("[")] == TAGS

    labelled(at.main.button, "[laugh]").click().run()
    labelled(at.main.button, "[sigh]").click().run()

    assert at.text_area(key="quick_text").value == f"{GREETING} [laugh] [sigh]"
    _speak(at)
    assert fake.calls_to("speak")[0]["text"] == f"{GREETING} [laugh] [sigh]"
    assert not at.info  # Turbo speaks them: nothing was removed
    assert any("at the end of the text" in line for line in values(at.caption))


def test_a_tag_added_to_an_empty_text_stands_alone(fake: FakeApi, open_app: OpenApp):
    fake.use_family(loaded="turbo")
    at = open_app(QUICK)
    at.text_area(key="quick_text").input("").run()

    labelled(at.main.button, "[chuckle]").click().run()

    assert at.text_area(key="quick_text").value == "[chuckle]"


def test_a_tag_that_would_pass_the_texts_limit_is_not_added_and_the_toast_says_so(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    fake.limits["max_text_chars"] = len(GREETING) + 5
    at = open_app(QUICK)

    labelled(at.main.button, "[laugh]").click().run()

    assert at.text_area(key="quick_text").value == GREETING
    assert values(at.toast) == [
        f"The text is at its limit of {len(GREETING) + 5} characters; [laugh] was not added."
    ]


def test_turbo_chosen_but_not_loaded_says_its_tags_come_once_it_is(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()

    assert "Chatterbox Turbo speaks bracketed tags such as [laugh]" in text_of(at.caption)
    assert not [label for label in labels(at.main.button) if label.startswith("[")]
    _speak(at)  # the server switches to Turbo
    at.run()
    assert [label for label in labels(at.main.button) if label.startswith("[")] == TAGS


def test_a_model_without_tags_offers_none(fake: FakeApi, open_app: OpenApp):
    fake.use_family()

    at = open_app(QUICK)

    assert not [label for label in labels(at.main.button) if label.startswith("[")]
    assert "bracketed tags" not in text_of(at.caption)


def test_tags_a_model_would_read_aloud_are_named_when_the_server_removed_them(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)
    at.text_area(key="quick_text").input("Well [laugh] that is [sigh] that [laugh].").run()

    _speak(at)

    [notice] = values(at.info)
    assert notice == (
        "Left out [laugh], [sigh]: Chatterbox would read tags aloud. Chatterbox Turbo speaks "
        "tags: choose it in the sidebar."
    )
    assert len(at.get("audio")) == 1


def test_a_server_without_a_tag_model_offers_none_when_it_removes_tags(
    fake: FakeApi, open_app: OpenApp
):
    at = open_app(QUICK)
    at.text_area(key="quick_text").input("Well [laugh] then.").run()

    _speak(at)

    assert values(at.info) == ["Left out [laugh]: Piper would read tags aloud."]


def test_an_unknown_tag_on_turbo_shows_the_tags_it_knows(fake: FakeApi, open_app: OpenApp):
    fake.use_family(loaded="turbo")
    at = open_app(QUICK)
    at.text_area(key="quick_text").input("Well [giggle] then.").run()

    _speak(at)

    shown = text_of(at.error)
    assert "Chatterbox Turbo does not know the tag [giggle]." in shown
    assert "Use one of the tags listed in 'known_tags'" in shown
    assert "Tags it knows: [chuckle], [laugh], [sigh]" in shown
    assert not at.get("audio")


def test_narrate_offers_the_palette_for_a_text_and_warns_of_tags_that_will_be_left_out(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    at = open_app()
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input("The mill turns.").run()

    labelled(at.main.button, "[sigh]").click().run()

    assert at.text_area(key="narrate_text").value == "The mill turns. [sigh]"
    at.sidebar.selectbox(key="model_pick").set_value("original").run()
    assert not [label for label in labels(at.main.button) if label.startswith("[")]
    assert (
        "Chatterbox would read [sigh] aloud, so the server leaves it out. Chatterbox Turbo "
        "speaks tags: choose it in the sidebar."
    ) in values(at.caption)


def test_the_tags_in_a_text_are_found_once_each_in_order():
    assert tags_in("A [sigh] b [clear throat] c [sigh] [1] [x]") == [
        "[sigh]",
        "[clear throat]",
        "[x]",
    ]

"""The model picker (frontend/model_picker.py): the server's models in the sidebar, the choice sent
with the next request, a switch under way and the last one, a server that does not switch."""

from __future__ import annotations

from tests.frontend import server_errors
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, text_of, values
from tests.frontend.fake_api import FakeApi

QUICK = "app_pages/quick_speak.py"
TITLES = ["Chatterbox · loaded", "Chatterbox Turbo", "Chatterbox Multilingual"]


def _speak(at):
    return labelled(at.main.button, "Speak").click().run()


def test_the_picker_lists_the_servers_models_by_title_and_marks_the_loaded_one(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()

    at = open_app()

    picker = at.sidebar.selectbox(key="model_pick")
    assert picker.options == TITLES
    assert picker.value == "original"
    assert "Model" in values(at.sidebar.subheader)


def test_a_server_with_one_model_shows_no_picker(fake: FakeApi, open_app: OpenApp):
    at = open_app(QUICK)

    assert not at.sidebar.selectbox
    assert "Model" not in values(at.sidebar.subheader)
    _speak(at)
    assert fake.calls_to("speak")[0]["model"] is None  # nothing chosen: the loaded one speaks


def test_until_a_model_is_chosen_the_picker_follows_the_server_and_sends_none(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)
    fake.models.loaded = "turbo"  # another client switched the server

    at.run()
    _speak(at)

    assert at.sidebar.selectbox(key="model_pick").value == "turbo"
    assert fake.calls_to("speak")[0]["model"] is None  # no switch back
    assert fake.models.switches == 0


def test_choosing_another_model_sends_it_with_the_next_request_and_the_server_switches(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)

    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()

    assert not fake.calls_to("speak")  # choosing alone sends nothing
    assert fake.models.loaded == "original"
    assert any("the next request switches to Chatterbox Turbo" in c for c in values(at.caption))
    _speak(at)
    [sent] = fake.calls_to("speak")
    assert sent["model"] == "turbo"
    assert "Spoken by Chatterbox Turbo." in values(at.main.caption)
    at.run()  # the sidebar's next check (its timer does not fire in AppTest)
    assert "Last switch: Chatterbox to Chatterbox Turbo in 4.2 s" in values(at.sidebar.caption)
    assert at.sidebar.selectbox(key="model_pick").options[1] == "Chatterbox Turbo · loaded"
    assert not at.exception


def test_a_narration_names_the_chosen_model(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = open_app()
    at.sidebar.selectbox(key="model_pick").set_value("multilingual").run()
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input("The river runs past the mill.").run()

    labelled(at.main.button, "Generate narration").click().run()

    [sent] = fake.calls_to("create_job")
    assert sent["model"] == "multilingual"
    [job] = fake.records.values()
    assert job["params"]["model"] == "multilingual"  # the job keeps it for every scene


def test_a_switch_under_way_is_shown_and_the_page_follows_when_it_ends(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app()
    fake.models.switching = {"from": "original", "to": "turbo", "since": "2026-11-21T07:30:00"}

    at.run()

    assert ":orange[●] Switching from Chatterbox to Chatterbox Turbo…" in values(
        at.sidebar.markdown
    )
    fake.models.switching = None
    fake.models.loaded, fake.models.switches = "turbo", 1
    fake.models.last_switch = {"from": "original", "to": "turbo", "at": "2026-11-21T07:30:00",
                               "seconds": 12.34}  # fmt: skip
    at.run()
    assert not any("Switching" in line for line in values(at.sidebar.markdown))
    assert "Last switch: Chatterbox to Chatterbox Turbo in 12.3 s" in values(at.sidebar.caption)
    assert at.sidebar.selectbox(key="model_pick").options[1] == "Chatterbox Turbo · loaded"


def test_with_switching_off_the_picker_shows_only_the_loaded_model_and_says_why(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    fake.models.model_switch = "off"

    at = open_app(QUICK)

    fixed = at.sidebar.selectbox(key="model_fixed")
    assert fixed.options == ["Chatterbox · loaded"]
    assert fixed.disabled
    assert "CHATTERBOX_MODEL_SWITCH=off" in text_of(at.sidebar.caption)
    assert "speaks with Chatterbox only" in text_of(at.sidebar.caption)
    _speak(at)
    assert fake.calls_to("speak")[0]["model"] is None


def test_a_choice_made_before_switching_was_turned_off_is_not_sent(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    fake.models.model_switch = "off"

    at.run()
    _speak(at)

    assert fake.calls_to("speak")[0]["model"] is None
    assert fake.models.loaded == "original"


def test_the_choice_outlasts_a_server_that_went_away(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = open_app(QUICK)
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    fake.down = True
    at.run()
    assert not at.sidebar.selectbox
    fake.down = False

    at.run()

    assert at.sidebar.selectbox(key="model_pick").value == "turbo"


def test_a_refused_switch_shows_the_servers_message_and_solution(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = open_app(QUICK)
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    fake.fail_next(
        "speak",
        server_errors.model_not_loaded(
            ("chatterbox-turbo", "Chatterbox Turbo"), ("chatterbox", "Chatterbox")
        ),
    )

    _speak(at)

    shown = text_of(at.error)
    assert "and the server has Chatterbox loaded" in shown
    assert "set CHATTERBOX_MODEL_SWITCH=on and restart the server" in shown
    assert not at.get("audio")

"""Quick speak (frontend/app_pages/quick_speak.py): a short text read aloud at once."""

from __future__ import annotations

from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, labels, text_of
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/quick_speak.py"
GREETING = "Hello! This is how I sound when I read your documents aloud."


def _speak(at):
    return labelled(at.main.button, "Speak").click().run()


def test_speak_plays_the_speech_and_offers_it_for_download(fake: FakeApi, open_app: OpenApp):
    at = _speak(open_app(PAGE))

    assert not at.exception
    [audio] = at.get("audio")
    assert audio.proto.url  # served from the media manager, not empty
    assert labels(at.get("download_button")) == ["Download WAV"]
    [sent] = fake.calls_to("speak")
    assert sent["text"] == GREETING
    assert sent["voice"] == "builtin"
    assert sent["fmt"] == "wav"


def test_speak_sends_the_text_settings_and_format_chosen(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)
    at.text_area(key="quick_text").input("Testing, one two three.").run()
    at.slider(key="quick_exag").set_value(1.2).run()
    at.segmented_control(key="quick_format").set_value("mp3").run()

    _speak(at)

    [sent] = fake.calls_to("speak")
    assert sent["text"] == "Testing, one two three."
    assert sent["fmt"] == "mp3"
    assert sent["params"] == {
        "rate": 1.0,
        "exaggeration": 1.2,
        "cfg_weight": 0.5,
        "temperature": 0.8,
        "seed": None,
    }
    assert labels(at.get("download_button")) == ["Download MP3"]


def test_speak_uses_the_library_voice_chosen(fake: FakeApi, open_app: OpenApp):
    fake.engine, fake.can_clone = "chatterbox", True
    bob = fake.add_voice_record("Bob")
    at = open_app(PAGE)
    at.selectbox(key="quick_voice").set_value(bob["id"]).run()

    _speak(at)

    assert fake.calls_to("speak")[0]["voice"] == bob["id"]
    assert len(at.get("audio")) == 1


def test_a_failed_speak_shows_the_servers_message_and_solution(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)
    at.text_area(key="quick_text").input("   ").run()

    _speak(at)

    assert not at.exception
    shown = text_of(at.error)
    assert "The text is empty." in shown
    assert "Send some words to speak in the 'text' field." in shown
    assert not at.get("audio")
    assert not at.get("download_button")


def test_a_server_that_went_away_while_speaking_gives_a_warning(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)
    fake.down = True

    _speak(at)

    assert not at.exception
    assert "Start it with start_linux.sh or start_windows.bat" in text_of(at.warning)
    assert not at.get("audio")


def test_the_speech_stays_on_the_page_across_reruns(fake: FakeApi, open_app: OpenApp):
    at = _speak(open_app(PAGE))

    at.run()

    assert len(at.get("audio")) == 1
    assert len(fake.calls_to("speak")) == 1


def test_speak_uses_an_engine_voice_chosen_on_an_engine_that_cannot_clone(
    fake: FakeApi, open_app: OpenApp
):
    fake.engine_voices = ["en_US-jenny-medium"]
    at = open_app(PAGE)
    voice = at.selectbox(key="quick_voice")
    assert voice.options == ["Built-in voice", "en_US-jenny-medium"]

    voice.set_value("en_US-jenny-medium").run()
    _speak(at)

    assert not at.exception
    assert fake.calls_to("speak")[0]["voice"] == "en_US-jenny-medium"
    assert len(at.get("audio")) == 1

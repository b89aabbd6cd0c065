"""Re-voice a recording (frontend/app_pages/revoice.py): a take uploaded or recorded, spoken again
in a library voice, played and offered for download; the server's refusals; a server that
cannot re-voice says how to make it."""

from __future__ import annotations

from tests.frontend import media
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, labels, text_of, values
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/revoice.py"


def _upload(at, data: bytes, name: str = "take.wav"):
    return at.file_uploader(key="revoice_file").set_value((name, data, "audio/wav")).run()


def _revoice(at):
    return labelled(at.main.button, "Re-voice").click().run()


def test_a_recording_is_revoiced_in_the_voice_and_format_chosen_played_and_offered(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    anna = fake.add_voice_record("Anna")
    take = media.tone(2.5)
    at = open_app(PAGE)
    assert labelled(at.main.button, "Re-voice").disabled  # nothing to re-voice yet
    _upload(at, take)
    at.selectbox(key="revoice_voice").set_value(anna["id"]).run()
    at.segmented_control(key="revoice_format").set_value("mp3").run()

    _revoice(at)

    assert not at.exception
    sent = {"filename": "take.wav", "data": take, "voice": anna["id"], "fmt": "mp3"}
    assert fake.calls_to("convert_voice") == [{**sent, "model": None}]  # the loaded one
    assert len(at.get("audio")) == 1
    [download] = at.get("download_button")
    assert download.label == "Download MP3"
    assert "2.5 s, re-voiced by Chatterbox." in values(at.caption)
    at.run()
    assert len(at.get("audio")) == 1  # the result stays across reruns
    assert len(fake.calls_to("convert_voice")) == 1


def test_the_voices_offered_are_the_library_then_the_built_in_one(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    fake.add_voice_record("Anna")
    fake.add_voice_record("Bob")

    at = open_app(PAGE)

    assert at.selectbox(key="revoice_voice").options == ["Anna", "Bob", "Built-in voice"]


def test_an_empty_library_points_to_the_voices_page(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = _upload(open_app(PAGE), media.tone(2.0))

    assert "Your library is empty: add voices on the Voices page." in values(at.caption)
    _revoice(at)
    assert fake.calls_to("convert_voice")[0]["voice"] == "builtin"
    assert len(at.get("audio")) == 1


def test_a_take_recorded_here_is_revoiced(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    take = media.tone(3.0)
    at = open_app(PAGE)
    at.audio_input(key="revoice_recording").set_value(("take.wav", take, "audio/wav")).run()

    _revoice(at)

    [sent] = fake.calls_to("convert_voice")
    assert (sent["filename"], sent["data"]) == ("recording.wav", take)
    assert len(at.get("audio")) == 1


def test_a_recording_that_is_not_audio_shows_the_servers_message_and_solution(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = _upload(open_app(PAGE), media.tone(2.0))
    _revoice(at)
    _upload(at, b"just some words", "notes.wav")

    _revoice(at)

    shown = text_of(at.error)
    assert "The content of 'notes.wav' is not audio" in shown
    assert "Upload WAV, MP3, FLAC, OGG, WebM (Opus) or MP4 (AAC) audio." in shown
    assert not at.get("audio")  # the earlier result is not left under the error


def test_a_voice_too_short_for_turbo_is_refused_with_the_servers_words(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    short = fake.add_voice_record("Short", seconds=4.0)
    at = open_app(PAGE)
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    assert "Chatterbox Turbo needs a voice whose reference clip is longer than 5 s." in values(
        at.caption
    )
    _upload(at, media.tone(2.0))
    at.selectbox(key="revoice_voice").set_value(short["id"]).run()

    _revoice(at)

    assert fake.calls_to("convert_voice")[0]["model"] == "turbo"
    shown = text_of(at.error)
    assert f"The reference clip of voice '{short['id']}' is 4.0 s long" in shown
    assert "Upload a longer reference clip for this voice" in shown
    assert fake.models.loaded == "original"  # refused before any switch


def test_a_chosen_model_that_cannot_revoice_leaves_the_choice_to_the_server(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family("piper", "original", loaded="piper")
    at = open_app(PAGE)
    assert at.sidebar.selectbox(key="model_pick").value == "piper"
    assert (
        "Piper cannot re-voice a recording, so the server uses one of its Chatterbox models."
        in values(at.caption)
    )
    _upload(at, media.tone(2.0))

    _revoice(at)

    assert fake.calls_to("convert_voice")[0]["model"] is None
    assert "2.0 s, re-voiced by Chatterbox." in values(at.caption)


def test_a_server_that_cannot_revoice_says_how_to_install_a_model_that_can(
    fake: FakeApi, open_app: OpenApp
):
    at = open_app(PAGE)  # Piper alone

    [notice] = values(at.info)
    assert "Re-voicing needs a Chatterbox model" in notice
    assert "this server has Piper." in notice
    assert "python setup_env.py --model turbo" in notice
    assert "Re-voice" not in labels(at.main.button)
    assert not fake.calls_to("voices")


def test_a_recording_over_the_upload_limit_is_refused_before_sending(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    fake.limits.update(max_upload_bytes=1000, max_upload_mb=0.001)

    at = _upload(open_app(PAGE), media.tone(2.0))

    assert "The upload is larger than the limit" in text_of(at.error)
    assert labelled(at.main.button, "Re-voice").disabled
    assert not fake.calls_to("convert_voice")


def test_a_server_that_went_away_gives_a_warning(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = _upload(open_app(PAGE), media.tone(2.0))
    fake.down = True

    _revoice(at)

    assert "Start it with start_linux.sh or start_windows.bat" in text_of(at.warning)
    assert not at.exception

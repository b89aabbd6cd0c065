"""Voices (frontend/app_pages/voices.py): add a clip (upload or record), choose, edit, delete."""

from __future__ import annotations

from frontend.api_client import unreachable
from tests.frontend import media
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import card, labelled, text_of, values
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/voices.py"


def _cloning(fake: FakeApi) -> None:
    fake.engine, fake.device, fake.can_clone = "chatterbox", "cuda", True


def _upload(at, data: bytes, name: str = "me.wav"):
    return at.file_uploader(key="voice_file_0").set_value((name, data, "audio/wav")).run()


def test_an_uploaded_clip_is_added_and_made_current_when_the_engine_clones(
    fake: FakeApi, open_app: OpenApp
):
    _cloning(fake)
    clip = media.tone(5.0)
    at = _upload(open_app(PAGE), clip)
    assert len(at.get("audio")) == 1  # the clip plays before it is added
    assert at.checkbox(key="use_upload").value
    at.text_input(key="voice_name_upload").input("Narrator").run()

    labelled(at.main.button, "Add to library").click().run()

    assert not at.exception
    assert fake.calls_to("add_voice") == [
        {"filename": "me.wav", "data": clip, "name": "Narrator", "language": None}
    ]
    [voice] = fake.library
    assert fake.calls_to("select_voice") == [{"voice_id": voice["id"]}]
    assert fake.current == voice["id"]
    assert values(at.toast) == ["Added “Narrator”."]
    assert "**Narrator** · :green[current]" in values(at.markdown)


def test_a_clip_is_added_with_the_language_it_was_recorded_in_and_the_library_says_it(
    fake: FakeApi, open_app: OpenApp
):
    _cloning(fake)
    at = _upload(open_app(PAGE), media.tone(6.0))
    at.selectbox(key="upload_0_voice_language").set_value("de").run()

    labelled(at.main.button, "Add to library").click().run()

    assert not at.exception
    assert fake.calls_to("add_voice")[0]["language"] == "de"
    assert fake.library[0]["language"] == "de"
    assert any("in German (de)" in caption for caption in values(at.caption))


def test_the_inputs_are_empty_after_an_add_so_a_clip_is_not_added_twice(
    fake: FakeApi, open_app: OpenApp
):
    at = _upload(open_app(PAGE), media.tone(5.0))
    labelled(at.main.button, "Add to library").click().run()

    assert at.file_uploader(key="voice_file_1").value is None
    assert not [b for b in at.main.button if b.label == "Add to library"]
    assert len(fake.calls_to("add_voice")) == 1


def test_an_uploaded_clip_is_only_added_when_the_engine_cannot_clone(
    fake: FakeApi, open_app: OpenApp
):
    at = _upload(open_app(PAGE), media.tone(5.0))
    use_now = at.checkbox(key="use_upload")
    assert use_now.disabled
    assert not use_now.value

    labelled(at.main.button, "Add to library").click().run()

    assert [call["name"] for call in fake.calls_to("add_voice")] == ["me"]  # the file's stem
    assert not fake.calls_to("select_voice")
    assert "**me**" in values(at.markdown)


def test_a_rejected_clip_shows_the_servers_message_and_solution(fake: FakeApi, open_app: OpenApp):
    at = _upload(open_app(PAGE), media.tone(1.2), "short.wav")

    labelled(at.main.button, "Add to library").click().run()

    assert not at.exception
    shown = text_of(at.error)
    assert "'short.wav' holds 1.20 s of sound after trimming silence; at least 3 s is needed." in (
        shown
    )
    assert "Record at least 3 seconds of speech (10-30 seconds is ideal)." in shown
    assert not fake.library
    assert not at.toast


def test_a_recording_is_added_like_an_upload(fake: FakeApi, open_app: OpenApp):
    _cloning(fake)
    recording = media.tone(4.0, rate=24000)
    at = open_app(PAGE)
    at.audio_input(key="voice_recording_0").set_value(("take.wav", recording, "audio/wav")).run()
    at.text_input(key="voice_name_record").input("My voice").run()

    labelled(at.main.button, "Add to library").click().run()

    assert not at.exception
    [added] = fake.calls_to("add_voice")
    assert added == {
        "filename": "recording.wav",
        "data": recording,
        "name": "My voice",
        "language": None,
    }
    assert fake.current == fake.library[0]["id"]


def test_a_short_recording_is_refused_in_the_servers_words(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)
    at.audio_input(key="voice_recording_0").set_value(("take.wav", media.tone(1.0), "audio/wav"))
    at.run()

    labelled(at.main.button, "Add to library").click().run()

    assert "'recording.wav' holds 1.00 s of sound" in text_of(at.error)
    assert not fake.library


def test_a_clip_over_the_upload_limit_is_refused_without_sending_it(
    fake: FakeApi, open_app: OpenApp
):
    oversized = b"RIFF" + bytes(fake.limits["max_upload_bytes"])  # the real 50 MB limit, plus 4

    at = _upload(open_app(PAGE), oversized, "long.wav")

    assert not at.exception
    shown = text_of(at.error)
    assert "The upload is larger than the limit of 50.0 MB." in shown
    assert "Trim the clip: 10-30 seconds of clean speech is ideal for cloning." in shown
    assert not fake.calls_to("add_voice")
    assert "Add to library" not in [button.label for button in at.main.button]


def test_the_piper_engine_explains_it_cannot_clone_and_how_to_install_chatterbox(
    fake: FakeApi, open_app: OpenApp
):
    at = open_app(PAGE)

    [note] = values(at.info)
    assert "The current engine (piper) reads with its built-in voice and cannot clone." in note
    assert "`python setup_env.py --engine chatterbox`" in note


def test_an_engine_that_clones_needs_no_explanation(fake: FakeApi, open_app: OpenApp):
    _cloning(fake)

    at = open_app(PAGE)

    assert not at.info


def test_the_library_lists_each_voice_with_its_length_and_clip(fake: FakeApi, open_app: OpenApp):
    alice = fake.add_voice_record("Alice", seconds=12.5)
    fake.add_voice_record("Bob", seconds=30.0)

    at = open_app(PAGE)

    alice_card, bob_card = card(at, "**Alice**"), card(at, "**Bob**")
    assert values(alice_card.caption)[0].startswith("0:12 long · added ")
    assert values(bob_card.caption)[0].startswith("0:30 long · added ")
    assert len(at.get("audio")) == 2  # each reference clip plays
    assert {call["voice_id"] for call in fake.calls_to("voice_audio")} == {
        alice["id"],
        fake.library[1]["id"],
    }
    assert labelled(alice_card.button, "Use this voice").disabled  # Piper: no cloning


def test_use_this_voice_makes_it_current(fake: FakeApi, open_app: OpenApp):
    _cloning(fake)
    alice = fake.add_voice_record("Alice")
    bob = fake.add_voice_record("Bob")
    fake.current = alice["id"]
    at = open_app(PAGE)
    assert labelled(card(at, "**Alice**").button, "Use this voice").disabled  # already current

    labelled(card(at, "**Bob**").button, "Use this voice").click().run()

    assert not at.exception
    assert fake.calls_to("select_voice") == [{"voice_id": bob["id"]}]
    assert values(at.toast) == ["Voice selected."]
    assert "**Bob** · :green[current]" in values(at.markdown)
    assert "**Alice**" in values(at.markdown)


def test_delete_removes_the_voice(fake: FakeApi, open_app: OpenApp):
    alice = fake.add_voice_record("Alice")
    fake.add_voice_record("Bob")
    at = open_app(PAGE)

    labelled(card(at, "**Alice**").button, "Delete").click().run()

    assert not at.exception
    assert fake.calls_to("delete_voice") == [{"voice_id": alice["id"]}]
    assert values(at.toast) == ["Voice deleted."]
    assert "**Alice**" not in values(at.markdown)
    assert "**Bob**" in values(at.markdown)


def test_an_empty_library_says_so(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)

    assert "No voices yet. Add one above; the built-in voice is always there." in values(at.caption)


def test_the_current_voice_is_shown_and_can_be_cleared_for_the_builtin_voice(
    fake: FakeApi, open_app: OpenApp
):
    _cloning(fake)
    alice = fake.add_voice_record("Alice")
    fake.current = alice["id"]
    at = open_app(PAGE)
    assert "Current voice: **Alice**" in values(at.markdown)
    assert not at.warning

    labelled(at.main.button, "Use the built-in voice").click().run()

    assert not at.exception
    assert fake.calls_to("clear_voice") == [{}]
    assert fake.current is None
    assert values(at.toast) == ["The built-in voice is the current voice again."]
    assert any(c.startswith("Current voice: the built-in voice") for c in values(at.caption))
    assert "Use the built-in voice" not in [button.label for button in at.main.button]
    assert "**Alice**" in values(at.markdown)  # the library keeps the voice


def test_a_stale_current_voice_says_it_cannot_be_used_and_offers_the_clear_button(
    fake: FakeApi, open_app: OpenApp
):
    alice = fake.add_voice_record("Alice")
    fake.current = alice["id"]  # chosen under Chatterbox; the server now runs Piper
    at = open_app(PAGE)
    [warning] = values(at.warning)
    assert "The current voice “Alice” cannot be used: the current engine (piper) cannot clone" in (
        warning
    )
    assert "requests that name no voice speak in the built-in voice instead" in warning

    labelled(at.main.button, "Use the built-in voice").click().run()

    assert not at.exception
    assert fake.current is None
    assert not at.warning
    assert not fake.calls_to("select_voice")


def test_a_failed_clear_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    _cloning(fake)
    fake.current = fake.add_voice_record("Alice")["id"]
    at = open_app(PAGE)
    fake.fail_next("clear_voice", unreachable(fake.base_url))  # the server went away meanwhile

    labelled(at.main.button, "Use the built-in voice").click().run()

    assert not at.exception
    assert len(fake.calls_to("clear_voice")) == 1
    assert "is not answering" in text_of(at.warning)
    assert fake.current is not None
    assert not at.toast


def test_the_engines_own_voices_are_listed(fake: FakeApi, open_app: OpenApp):
    fake.engine_voices = ["en_US-jenny-medium", "en_US-slow-medium"]

    at = open_app(PAGE)

    assert (
        "The engine's own voices, to choose on Narrate and Quick speak: **en_US-jenny-medium**, "
        "**en_US-slow-medium**."
    ) in values(at.markdown)


def _edit_of(at, voice: dict) -> tuple:
    """The name input, the language select box and the Save button of a voice's Edit popover."""
    voice_id = voice["id"]
    return (
        at.text_input(key=f"rename_{voice_id}"),
        at.selectbox(key=f"edit_{voice_id}_voice_language"),
        at.button(key=f"save_{voice_id}"),
    )


def test_a_voice_is_renamed_from_its_edit_popover_under_the_same_id(
    fake: FakeApi, open_app: OpenApp
):
    alice = fake.add_voice_record("Alice")
    fake.add_voice_record("Bob")
    at = open_app(PAGE)
    name, language, _ = _edit_of(at, alice)
    assert (name.value, language.value) == ("Alice", "unsaid")

    name.input("Grandma  Rose").run()
    _edit_of(at, alice)[2].click().run()

    assert not at.exception
    assert fake.calls_to("update_voice") == [
        {"voice_id": alice["id"], "changes": {"name": "Grandma  Rose"}}
    ]
    assert values(at.toast) == ["Saved “Grandma Rose”."]
    assert [v["id"] for v in fake.library if v["name"] == "Grandma Rose"] == [alice["id"]]
    assert "**Grandma Rose**" in values(at.markdown)
    assert "**Alice**" not in values(at.markdown) and "**Bob**" in values(at.markdown)


def test_a_voices_language_is_changed_and_cleared_from_its_edit_popover(
    fake: FakeApi, open_app: OpenApp
):
    alice = fake.add_voice_record("Alice")
    alice["language"] = "fr"  # uploaded as French
    at = open_app(PAGE)
    assert _edit_of(at, alice)[1].value == "fr"

    _edit_of(at, alice)[1].set_value("de").run()
    _edit_of(at, alice)[2].click().run()
    assert any("in German (de)" in caption for caption in values(card(at, "**Alice**").caption))
    _edit_of(at, alice)[1].set_value("unsaid").run()
    _edit_of(at, alice)[2].click().run()

    assert not at.exception
    assert [call["changes"] for call in fake.calls_to("update_voice")] == [
        {"language": "de"},
        {"language": None},
    ]
    assert "language" not in fake.library[0]
    assert not any("German" in caption for caption in values(card(at, "**Alice**").caption))


def test_saving_an_unchanged_voice_sends_nothing_and_says_so(fake: FakeApi, open_app: OpenApp):
    alice = fake.add_voice_record("Alice")
    at = open_app(PAGE)
    _edit_of(at, alice)[0].input("  Alice ").run()  # the server would collapse the spaces

    _edit_of(at, alice)[2].click().run()

    assert not fake.calls_to("update_voice")
    assert "Nothing to save: the name and the language are as they were." in values(at.caption)
    assert not at.toast


def test_a_refused_edit_shows_the_servers_message_and_changes_nothing(
    fake: FakeApi, open_app: OpenApp
):
    alice = fake.add_voice_record("Alice")
    at = open_app(PAGE)
    _edit_of(at, alice)[0].input("   ").run()

    _edit_of(at, alice)[2].click().run()

    assert not at.exception
    assert fake.calls_to("update_voice") == [{"voice_id": alice["id"], "changes": {"name": "   "}}]
    shown = text_of(at.error)
    assert "A voice name has 1-100 characters, not 0." in shown
    assert "Check the fields against the API documentation at /docs." in shown
    assert fake.library[0]["name"] == "Alice"
    assert not at.toast

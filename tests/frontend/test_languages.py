"""Languages (frontend/languages.py): the Multilingual model's select box, English first on Quick
speak and detection first for jobs, the accent caption, and languages by name in errors."""

from __future__ import annotations

from frontend.languages import ACCENT, NAMES, label
from tests.frontend import server_errors
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, text_of, values
from tests.frontend.fake_api import FakeApi
from tests.frontend.fake_models import FAMILY

QUICK = "app_pages/quick_speak.py"


def test_a_code_reads_as_its_name_and_an_unknown_one_as_itself():
    assert label("de") == "German (de)"
    assert label("zh") == "Chinese (zh)"
    assert label("xx") == "xx"
    assert label("detect") == "Detect from the text"


def test_the_table_names_every_code_the_multilingual_model_speaks():
    assert set(NAMES) == set(FAMILY["multilingual"].languages)
    assert len(NAMES) == 23


def test_quick_speak_on_multilingual_offers_its_languages_english_first(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="multilingual")
    at = open_app(QUICK)

    language = at.selectbox(key="quick_language")
    assert language.value == "en"
    assert language.options[0] == "English (en)"
    assert len(language.options) == 23
    assert "German (de)" in language.options
    assert ACCENT in values(at.caption)
    language.set_value("de").run()
    labelled(at.main.button, "Speak").click().run()

    [sent] = fake.calls_to("speak")
    assert sent["language"] == "de"
    assert sent["model"] is None  # nothing chosen: the loaded Multilingual speaks


def test_a_narration_on_multilingual_lets_the_server_detect_the_language_unless_one_is_chosen(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="multilingual")
    at = open_app()
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input("Le moulin tourne.").run()
    language = at.selectbox(key="narrate_language")
    assert language.value == "detect"
    assert language.options[:2] == ["Detect from the text", "English (en)"]

    labelled(at.main.button, "Generate narration").click().run()
    assert fake.calls_to("create_job")[0]["language"] is None
    at.button(key="job_new").click().run()  # back to the form
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input("Le moulin tourne.").run()
    at.selectbox(key="narrate_language").set_value("fr").run()
    labelled(at.main.button, "Generate narration").click().run()

    assert fake.calls_to("create_job")[1]["language"] == "fr"
    assert not at.exception


def test_choosing_multilingual_brings_the_languages_before_it_is_loaded(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family()
    at = open_app(QUICK)
    assert not _has(at, "quick_language")

    at.sidebar.selectbox(key="model_pick").set_value("multilingual").run()

    assert len(at.selectbox(key="quick_language").options) == 23


def test_a_model_of_one_language_offers_no_choice_and_sends_none(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = open_app(QUICK)

    assert not _has(at, "quick_language")
    assert ACCENT not in values(at.caption)
    labelled(at.main.button, "Speak").click().run()
    assert fake.calls_to("speak")[0]["language"] is None


def test_a_language_the_model_cannot_speak_is_shown_with_the_ones_it_can_by_name(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="multilingual")
    at = open_app(QUICK)
    fake.fail_next(
        "speak",
        server_errors.unsupported_language(
            "de", "Chatterbox Multilingual", ["en", "fr"], True, list(NAMES)
        ),
    )

    labelled(at.main.button, "Speak").click().run()

    shown = text_of(at.error)
    assert "Chatterbox Multilingual cannot speak 'de'." in shown
    assert "Languages it speaks: English (en), French (fr)" in shown


def _has(at, key: str) -> bool:
    return any(box.key == key for box in at.selectbox)


def test_a_voices_language_select_box_starts_at_the_voices_language(
    fake: FakeApi, open_app: OpenApp
):
    for language, shown in (("de", "German (de)"), (None, "Not said")):
        fake.library.clear()
        voice = fake.add_voice_record("Anna")
        if language:
            voice["language"] = language
        at = open_app("app_pages/voices.py")

        box = at.selectbox(key=f"edit_{voice['id']}_voice_language")

        assert (box.value, box.options[box.index]) == (language or "unsaid", shown)
        assert box.options[0] == "Not said" and len(box.options) == 24

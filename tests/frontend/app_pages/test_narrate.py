"""Narrate (frontend/app_pages/narrate.py): a text or a PDF becomes a job; ?job= opens it."""

from __future__ import annotations

from frontend.api_client import ApiError
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, text_of, values
from tests.frontend.fake_api import FakeApi
from tests.helpers import books
from tests.helpers.pdfs import text_pdf

TEXT = "The river runs past the mill. Children play on the bank. Evening turns the water gold."
DEFAULT_PARAMS = {"rate": 1.0, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8}


def _text_source(open_app: OpenApp, text: str = TEXT):
    at = open_app()
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input(text).run()
    return at


def _generate(at) -> None:
    labelled(at.main.button, "Generate narration").click().run()


def test_generate_sends_the_text_voice_and_settings_and_opens_the_job(
    fake: FakeApi, open_app: OpenApp
):
    at = _text_source(open_app)
    at.text_input(key="narrate_title").input("River").run()
    at.slider(key="narrate_rate").set_value(1.25).run()
    at.number_input(key="narrate_seed").set_value(42).run()

    _generate(at)

    assert not at.exception
    [sent] = fake.calls_to("create_job")
    assert sent["text"] == TEXT
    assert sent["pdf"] is None
    assert sent["title"] == "River"
    assert sent["voice"] == "builtin"
    assert sent["params"] == {**DEFAULT_PARAMS, "rate": 1.25, "seed": 42, "mastering": "standard"}
    [job_id] = fake.records
    assert at.query_params["job"] == job_id
    assert values(at.subheader)[0] == "River"
    assert at.main.get("progress")[0].text.startswith("0 of 3 scenes narrated")


def test_generate_waits_for_something_to_narrate(fake: FakeApi, open_app: OpenApp):
    at = open_app()
    assert labelled(at.main.button, "Generate narration").disabled  # no PDF yet

    at.segmented_control(key="narrate_source").set_value("Text").run()
    assert labelled(at.main.button, "Generate narration").disabled
    at.text_area(key="narrate_text").input("   ").run()
    assert labelled(at.main.button, "Generate narration").disabled
    assert not fake.calls_to("create_job")


def test_the_text_source_estimates_the_narration_length(fake: FakeApi, open_app: OpenApp):
    at = _text_source(open_app, "word " * 1800)  # 9000 characters at 15 a second

    assert "9,000 characters, roughly 10 min of narration." in values(at.caption)


def test_a_job_the_server_refuses_shows_its_message_and_keeps_the_form(
    fake: FakeApi, open_app: OpenApp
):
    fake.fail_next(
        "create_job",
        ApiError(
            "text_too_long",
            "The text has 2000001 characters; a job takes at most 2000000.",
            "Split the text, or narrate long documents as a job.",
            413,
        ),
    )
    at = _text_source(open_app)

    _generate(at)

    assert not at.exception
    shown = text_of(at.error)
    assert "The text has 2000001 characters; a job takes at most 2000000." in shown
    assert "Split the text, or narrate long documents as a job." in shown
    assert "job" not in at.query_params
    assert at.text_area(key="narrate_text").value == TEXT


def test_a_library_voice_narrates_when_the_engine_can_clone(fake: FakeApi, open_app: OpenApp):
    fake.engine, fake.can_clone = "chatterbox", True
    alice = fake.add_voice_record("Alice")
    fake.current = alice["id"]
    at = _text_source(open_app)
    voice = at.selectbox(key="narrate_voice")
    assert voice.options == ["Built-in voice", "Alice"]
    assert voice.value == alice["id"]  # the server's current voice is the default

    _generate(at)

    assert fake.calls_to("create_job")[0]["voice"] == alice["id"]
    assert fake.records[at.query_params["job"]]["voice"] == alice["id"]


def test_library_voices_are_not_offered_when_the_engine_cannot_clone(
    fake: FakeApi, open_app: OpenApp
):
    fake.add_voice_record("Alice")

    at = open_app()

    assert at.selectbox(key="narrate_voice").options == ["Built-in voice"]
    assert any("need the Chatterbox engine" in caption for caption in values(at.caption))


def _upload_pdf(at, data: bytes, name: str = "river.pdf"):
    return at.file_uploader(key="narrate_pdf").set_value((name, data, "application/pdf")).run()


def test_a_pdf_is_previewed_with_the_text_the_narration_will_read(fake: FakeApi, open_app: OpenApp):
    at = _upload_pdf(open_app(), text_pdf(pages=4))

    assert not at.exception
    assert "4 of 4 pages selected." in values(at.caption)
    assert [line for line in values(at.markdown) if line.startswith("**Page")] == [
        "**Page 1**",
        "**Page 2**",
        "**Page 3**",
    ]
    assert values(at.text)[0].startswith("Page 1 begins here. The river runs past the old mill")
    assert "Only the first pages are shown here; the narration reads them all." in values(
        at.caption
    )
    assert not labelled(at.main.button, "Generate narration").disabled


def test_a_page_range_is_previewed_and_sent_with_the_job(fake: FakeApi, open_app: OpenApp):
    data = text_pdf(pages=4)
    at = _upload_pdf(open_app(), data)

    at.text_input(key="narrate_pages").input("2-3").run()

    assert fake.calls_to("preview_pdf")[-1]["pages"] == "2-3"
    assert "2 of 4 pages selected." in values(at.caption)
    assert values(at.text)[0].startswith("Page 2 begins here.")
    _generate(at)
    [sent] = fake.calls_to("create_job")
    assert sent["pdf"] == ("river.pdf", data)
    assert sent["pages"] == "2-3"
    assert sent["text"] is None
    assert at.query_params["job"] in fake.records
    assert values(at.subheader)[0] == "river"


def test_a_page_range_outside_the_document_shows_the_servers_message(
    fake: FakeApi, open_app: OpenApp
):
    at = _upload_pdf(open_app(), text_pdf(pages=2))

    at.text_input(key="narrate_pages").input("5-9").run()

    assert not at.exception
    assert "The document has 2 pages." in text_of(at.error)
    assert labelled(at.main.button, "Generate narration").disabled


def test_a_locked_pdf_asks_for_its_password_and_sends_it(fake: FakeApi, open_app: OpenApp):
    at = _upload_pdf(open_app(), text_pdf(pages=2, password="s3cret"))

    assert not at.exception
    assert at.text_input(key="narrate_password").label == "PDF password"
    assert "Enter the PDF's password in the password field" in text_of(at.error)
    assert labelled(at.main.button, "Generate narration").disabled

    at.text_input(key="narrate_password").input("s3cret").run()

    assert fake.calls_to("preview_pdf")[-1]["password"] == "s3cret"
    assert not at.error
    assert "2 of 2 pages selected." in values(at.caption)
    _generate(at)
    assert fake.calls_to("create_job")[0]["password"] == "s3cret"
    assert at.query_params["job"] in fake.records


def test_a_wrong_pdf_password_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    at = _upload_pdf(open_app(), text_pdf(pages=2, password="s3cret"))

    at.text_input(key="narrate_password").input("guess").run()

    shown = text_of(at.error)
    assert "the password given is not correct." in shown
    assert "Check the PDF's password (it is case-sensitive) and start again." in shown
    assert labelled(at.main.button, "Generate narration").disabled


def test_a_pdf_over_the_upload_limit_is_refused_before_sending(fake: FakeApi, open_app: OpenApp):
    fake.limits.update(max_upload_bytes=2**20, max_upload_mb=1)
    oversized = b"%PDF-1.7\n" + b"0" * 2**20

    at = _upload_pdf(open_app(), oversized)

    assert not at.exception
    shown = text_of(at.error)
    assert "The upload is larger than the limit of 1.0 MB." in shown
    assert "CHATTERBOX_MAX_UPLOAD_MB" in shown  # the solution: how to raise the limit
    assert not fake.calls_to("preview_pdf")
    assert labelled(at.main.button, "Generate narration").disabled


def test_a_file_that_is_not_a_pdf_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    at = _upload_pdf(open_app(), b"GIF89a not a document", "photo.pdf")

    assert "'photo.pdf' is not a PDF file" in text_of(at.error)
    assert labelled(at.main.button, "Generate narration").disabled


def test_a_server_that_is_down_leaves_a_warning_not_a_form(fake: FakeApi, open_app: OpenApp):
    fake.down = True

    at = open_app()

    assert not at.exception
    assert "is not answering." in text_of(at.main.warning)
    assert not at.main.button


def test_the_engines_own_voices_are_offered_after_builtin_although_it_cannot_clone(
    fake: FakeApi, open_app: OpenApp
):
    fake.engine_voices = ["en_US-jenny-medium", "en_US-slow-medium"]  # CHATTERBOX_PIPER_VOICES_DIR
    fake.add_voice_record("Alice")  # Piper: the library is not offered
    at = _text_source(open_app)
    voice = at.selectbox(key="narrate_voice")
    assert voice.options == ["Built-in voice", "en_US-jenny-medium", "en_US-slow-medium"]
    assert voice.value == "builtin"

    voice.set_value("en_US-slow-medium").run()
    _generate(at)

    assert not at.exception
    assert fake.calls_to("create_job")[0]["voice"] == "en_US-slow-medium"
    assert fake.records[at.query_params["job"]]["voice"] == "en_US-slow-medium"


def test_engine_voices_come_before_the_library_when_the_engine_clones(
    fake: FakeApi, open_app: OpenApp
):
    fake.engine, fake.can_clone = "chatterbox", True
    fake.engine_voices = ["studio-voice"]
    fake.add_voice_record("Alice")

    at = open_app()

    assert at.selectbox(key="narrate_voice").options == ["Built-in voice", "studio-voice", "Alice"]


def test_a_stale_current_voice_is_not_chosen_and_the_page_says_why(
    fake: FakeApi, open_app: OpenApp
):
    alice = fake.add_voice_record("Alice")
    fake.current = alice["id"]  # chosen under Chatterbox; the server now runs Piper

    at = _text_source(open_app)

    assert at.selectbox(key="narrate_voice").value == "builtin"
    assert any(
        "The current voice “Alice” cannot be used with this engine" in caption
        and "Clear it on the Voices page." in caption
        for caption in values(at.caption)
    )
    _generate(at)
    assert fake.calls_to("create_job")[0]["voice"] == "builtin"


def test_the_audiobook_mastering_choice_is_sent_with_the_job(fake: FakeApi, open_app: OpenApp):
    at = _text_source(open_app)
    at.segmented_control(key="narrate_mastering").set_value("audiobook").run()

    _generate(at)

    [sent] = fake.calls_to("create_job")
    assert sent["params"]["mastering"] == "audiobook"


def test_an_epub_is_previewed_with_its_title_author_and_chapters(fake: FakeApi, open_app: OpenApp):
    at = open_app()
    epub = books.make_epub()
    at = at.file_uploader(key="narrate_pdf").set_value(("river.epub", epub, "application/epub+zip"))
    at = at.run()

    assert not at.exception
    captions = values(at.caption)
    assert f"{books.TITLE} by {books.AUTHOR}" in captions
    assert "3 chapters: The Mill · The Bridge · The Evening" in captions
    assert "The river runs past the old mill." in " ".join(values(at.text))
    assert fake.calls_to("preview_pdf")[0]["filename"] == "river.epub"


def test_an_unsupported_file_shows_what_is_accepted(fake: FakeApi, open_app: OpenApp):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    at = open_app().file_uploader(key="narrate_pdf").set_value(("photo.txt", png, "text/plain"))
    at = at.run()

    assert not at.exception
    assert any("Accepted: PDF, EPUB" in error for error in values(at.error))

"""The studio (Streamlit's AppTest, the real ApiClient) on the real server with the whole family on
random-weight checkpoints: each model chosen in the sidebar speaks on Quick speak (Turbo with a
tag from its palette, Multilingual in the language picked, the Original leaving the tag out), a
narration made on the Narrate page with Turbo completes and is offered for download, and a
recording is re-voiced on its page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from frontend.api_client import ApiClient
from tests.chatterbox.conftest import ChatterboxServer
from tests.frontend.conftest import OpenApp, opener
from tests.frontend.elements import labelled, labels, values
from tests.helpers.audio import clip_bytes
from tests.helpers.wait import wait_for

TIMEOUT = 600  # a script run that switches the model loads it on this CPU


@pytest.fixture(scope="module")
def server(start_server, family_cache) -> ChatterboxServer:
    return start_server(CHATTERBOX_MODEL="turbo", model_dir=family_cache)


@pytest.fixture
def open_studio(server) -> OpenApp:
    return opener(ApiClient(server.url, timeout=60.0), timeout=TIMEOUT)


def quick_speak(open_studio, model: str, text: str, language: str | None = None) -> AppTest:
    at = open_studio("app_pages/quick_speak.py")
    at.sidebar.selectbox(key="model_pick").set_value(model).run()
    at.text_area(key="quick_text").input(text).run()
    if language is not None:
        at.selectbox(key="quick_language").set_value(language).run()
    labelled(at.main.button, "Speak").click().run()
    assert not at.exception
    assert not at.error, values(at.error)
    return at


def test_turbo_speaks_a_tag_from_its_palette(open_studio):
    at = open_studio("app_pages/quick_speak.py")
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    assert "[clear throat]" in labels(at.main.button)  # read from the checkpoint's tokenizer
    at.text_area(key="quick_text").input("Well then.").run()
    labelled(at.main.button, "[laugh]").click().run()
    assert at.text_area(key="quick_text").value == "Well then. [laugh]"

    labelled(at.main.button, "Speak").click().run()

    assert not at.exception and not at.error, values(at.error)
    assert "Spoken by Chatterbox Turbo." in values(at.main.caption)
    assert len(at.get("audio")) == 1
    assert not at.info  # nothing was left out


def test_multilingual_speaks_the_language_picked(open_studio):
    at = quick_speak(open_studio, "multilingual", "Guten Tag, wie geht es Ihnen?", "de")

    assert "Spoken by Chatterbox Multilingual." in values(at.main.caption)
    assert len(at.get("audio")) == 1


def test_the_original_speaks_and_says_it_left_the_tag_out(open_studio):
    at = quick_speak(open_studio, "original", "Well [laugh] that is it.")

    assert "Spoken by Chatterbox." in values(at.main.caption)
    assert len(at.get("audio")) == 1
    [notice] = values(at.info)
    assert notice.startswith("Left out [laugh]: Chatterbox would read tags aloud.")


def test_a_narration_made_with_turbo_completes_and_is_offered_for_download(server, open_studio):
    at = open_studio()
    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()
    at.segmented_control(key="narrate_source").set_value("Text").run()
    at.text_area(key="narrate_text").input("The river runs past the mill. [sigh] It is late.").run()
    labelled(at.main.button, "Generate narration").click().run()
    assert not at.exception and not at.error, values(at.error)

    [job] = server.get("/jobs").json()["jobs"]
    done = wait_for(
        lambda: (
            (j := server.get(f"/jobs/{job['id']}").json())["status"] in ("completed", "failed")
            and j
        ),
        timeout=280,
        interval=0.5,
    )
    assert done["status"] == "completed", done
    assert done["params"]["model"] == "turbo"

    at = open_studio(job=job["id"])
    assert not at.exception
    assert values(at.success)[0].startswith("The narration is ready")
    assert "Download WAV" in labels(at.get("download_button"))


def test_a_recording_is_revoiced_in_the_built_in_voice(open_studio):
    at = open_studio("app_pages/revoice.py")
    take = clip_bytes(2.0, pitch=120.0)  # 3 s with its silences
    at.file_uploader(key="revoice_file").set_value(("take.wav", take, "audio/wav")).run()
    at.selectbox(key="revoice_voice").set_value("builtin").run()

    labelled(at.main.button, "Re-voice").click().run()

    assert not at.exception and not at.error, values(at.error)
    assert len(at.get("audio")) == 1
    assert any(line.startswith("3.0 s, re-voiced by Chatterbox") for line in values(at.caption))

"""Model traits (frontend/model_traits.py): the controls follow what the server reported of the
chosen model when it was last loaded, else the studio's table of the family."""

from __future__ import annotations

from backend.core import models
from frontend.model_traits import FAMILY
from tests.frontend import fake_models
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labels, text_of
from tests.frontend.fake_api import FakeApi

QUICK = "app_pages/quick_speak.py"


def _tag_buttons(at) -> list[str]:
    return [label for label in labels(at.main.button) if label.startswith("[")]


def test_what_the_server_reported_of_a_model_is_kept_after_it_is_switched_away(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    fake.models.with_traits("turbo", tags=("[gasp]", "[groan]"))
    at = open_app(QUICK)
    assert _tag_buttons(at) == ["[gasp]", "[groan]"]
    fake.models.loaded = "original"  # another client switched the server
    at.run()
    assert at.sidebar.selectbox(key="model_pick").value == "original"  # nothing chosen here

    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()

    assert _tag_buttons(at) == ["[gasp]", "[groan]"]  # remembered, not "once it is loaded"
    assert "once the server has loaded it" not in text_of(at.caption)


def test_the_server_report_of_the_loaded_model_wins_over_the_table(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    fake.models.with_traits("turbo", ignored_params=())

    at = open_app(QUICK)

    assert "CFG weight" in labels(at.slider)  # the table says Turbo ignores it; the server not


def test_a_model_the_studio_does_not_know_has_no_special_controls(fake: FakeApi, open_app: OpenApp):
    fake.use_family("original", "fake", loaded="original")
    at = open_app(QUICK)

    at.sidebar.selectbox(key="model_pick").set_value("fake").run()

    assert not _tag_buttons(at)
    assert labels(at.slider) == ["Speed", "Exaggeration", "CFG weight", "Temperature"]
    assert "bracketed tags" not in text_of(at.caption)


def test_the_studios_table_and_the_fakes_family_are_the_servers_models():
    for key, model in models.MODELS.items():  # the server's own table of the family
        for traits in (FAMILY[key], fake_models.FAMILY[key]):
            assert traits.title == model.title
            assert traits.languages == model.languages
            assert traits.ignored_params == model.ignored_params
            assert traits.min_reference_seconds == model.min_reference_seconds
            assert traits.can_convert_voice  # every member re-voices with its S3Gen
        assert (FAMILY[key].tags is None) is model.reads_tags  # its list: from its checkpoint
    assert set(FAMILY) == {*models.MODELS, "piper"}

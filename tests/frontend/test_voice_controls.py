"""Delivery settings (frontend/voice_controls.py): a model's ignored knobs are hidden, said so,
and not sent; every other model shows and sends them all."""

from __future__ import annotations

from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, labels, values
from tests.frontend.fake_api import FakeApi

QUICK = "app_pages/quick_speak.py"
HIDDEN = "Chatterbox Turbo ignores Exaggeration and CFG weight, so they are hidden."


def test_turbo_hides_the_knobs_it_ignores_says_so_and_does_not_send_them(
    fake: FakeApi, open_app: OpenApp
):
    fake.use_family(loaded="turbo")
    at = open_app(QUICK)

    assert labels(at.slider) == ["Speed", "Temperature"]
    assert HIDDEN in values(at.caption)
    at.slider(key="quick_temp").set_value(0.6).run()
    labelled(at.main.button, "Speak").click().run()

    assert fake.calls_to("speak")[0]["params"] == {"rate": 1.0, "temperature": 0.6, "seed": None}


def test_the_knobs_follow_the_chosen_model_before_it_is_loaded(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    at = open_app()
    assert labels(at.slider) == ["Speed", "Exaggeration", "CFG weight", "Temperature"]

    at.sidebar.selectbox(key="model_pick").set_value("turbo").run()

    assert labels(at.slider) == ["Speed", "Temperature"]
    assert HIDDEN in values(at.caption)


def test_a_model_that_ignores_one_knob_hides_that_one(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    fake.models.with_traits("original", ignored_params=("exaggeration",))

    at = open_app(QUICK)

    assert labels(at.slider) == ["Speed", "CFG weight", "Temperature"]
    assert "Chatterbox ignores Exaggeration, so it is hidden." in values(at.caption)

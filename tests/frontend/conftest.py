"""Fixtures of the front-end tests: a fresh FakeApi, and the studio opened on it with AppTest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from frontend.api_protocol import StudioApi
from tests.frontend.fake_api import FakeApi

APP = Path(__file__).resolve().parents[2] / "frontend" / "app.py"
TIMEOUT = 30  # seconds a single script run may take; a run here takes a fraction of one

OpenApp = Callable[..., AppTest]


@pytest.fixture
def fake() -> FakeApi:
    return FakeApi()


@pytest.fixture
def open_app(fake: FakeApi) -> OpenApp:
    """Run the studio once on `page` (Narrate by default), with ?job=<job> when given."""
    return opener(fake)


def opener(api: StudioApi, timeout: float = TIMEOUT) -> OpenApp:
    """Open the studio on `api` (a FakeApi, or a real ApiClient for tests on a real server)."""

    def open_page(page: str | None = None, *, job: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=timeout)
        at.session_state["api"] = api  # state.client() prefers it to a real ApiClient
        if job is not None:
            at.query_params["job"] = job
        if page is not None:
            at.switch_page(page)
        return at.run()

    return open_page

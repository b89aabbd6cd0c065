"""frontend/exposure.py: the studio shows nothing on a reachable address without a token."""

from __future__ import annotations

import pytest
from streamlit import config

from frontend.exposure import problem
from tests.frontend.conftest import OpenApp


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_addresses_are_fine_without_a_token(address):
    assert problem(address, None) is None


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "", None])
def test_a_reachable_address_needs_a_token(address):
    assert "no CHATTERBOX_API_TOKEN is set" in problem(address, None)
    assert problem(address, "s3cret") is None


@pytest.fixture
def listening_everywhere():
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_the_studio_shows_only_the_reason_when_exposed_without_a_token(
    open_app: OpenApp, listening_everywhere, monkeypatch
):
    monkeypatch.delenv("CHATTERBOX_API_TOKEN", raising=False)
    at = open_app()

    assert not at.exception
    assert [e.value for e in at.error] == [problem("0.0.0.0", None)]
    assert not at.sidebar.get("progress")  # nothing else was drawn


def test_the_studio_works_when_exposed_with_a_token(
    open_app: OpenApp, listening_everywhere, monkeypatch
):
    monkeypatch.setenv("CHATTERBOX_API_TOKEN", "s3cret")
    at = open_app()

    assert not at.exception
    assert not at.error
    assert at.sidebar.get("progress")

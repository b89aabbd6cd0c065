"""backend/core/constants.py: the one rule from settings to the server's URL, and the shared names."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.core.constants import (
    DEFAULT_PORT,
    DEFAULT_STUDIO_PORT,
    MODEL_FILES,
    local_url,
    local_workers,
    read_environment,
    server_url,
)
from backend.core.settings import Settings


@pytest.fixture
def no_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHATTERBOX_HOST", "CHATTERBOX_PORT", "PORT", "CHATTERBOX_STUDIO_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_no_settings_mean_loopback_on_the_default_port():
    assert server_url({}) == f"http://127.0.0.1:{DEFAULT_PORT}"


def test_chatterbox_port_wins_over_port_as_it_does_for_the_server(no_server_settings):
    config = {"CHATTERBOX_PORT": "8010", "PORT": "5000"}
    assert local_url(config) == "http://127.0.0.1:8010"
    assert local_url({"PORT": "5000"}) == "http://127.0.0.1:5000"
    assert Settings(_env_file=None, **{"CHATTERBOX_PORT": 8010, "PORT": 5000}).port == 8010


def test_an_all_interfaces_bind_is_reached_on_loopback_and_ipv6_gets_brackets():
    assert local_url({"CHATTERBOX_HOST": "0.0.0.0"}) == "http://127.0.0.1:8000"
    assert local_url({"CHATTERBOX_HOST": "::"}) == "http://127.0.0.1:8000"
    assert local_url({"CHATTERBOX_HOST": "::1", "CHATTERBOX_PORT": "9"}) == "http://[::1]:9"
    assert local_url({"CHATTERBOX_HOST": "studio.lan"}) == "http://studio.lan:8000"


def test_chatterbox_url_is_for_clients_and_overrides_host_and_port():
    config = {"CHATTERBOX_URL": "http://backend:8000/", "CHATTERBOX_PORT": "8010"}
    assert server_url(config) == "http://backend:8000"
    assert local_url(config) == "http://127.0.0.1:8010"  # where the server itself listens


def test_the_environment_wins_over_the_env_file_and_other_variables_are_left_out(tmp_path: Path):
    (tmp_path / ".env").write_text(
        "# comment\nCHATTERBOX_PORT=8010\nexport CHATTERBOX_HOST='0.0.0.0'\nOTHER=1\n"
    )
    assert read_environment(tmp_path, {}) == {
        "CHATTERBOX_PORT": "8010",
        "CHATTERBOX_HOST": "0.0.0.0",
    }
    config = read_environment(tmp_path, {"CHATTERBOX_PORT": "8020", "HOME": "/x"})
    assert config == {"CHATTERBOX_PORT": "8020", "CHATTERBOX_HOST": "0.0.0.0"}
    assert read_environment(tmp_path / "missing", {"PORT": "5000"}) == {"PORT": "5000"}


def test_workers_is_read_under_both_names_and_the_prefixed_one_wins(tmp_path: Path):
    (tmp_path / ".env").write_text("WORKERS=2\n")
    config = read_environment(tmp_path, {})
    assert config == {"WORKERS": "2"}
    assert local_workers(config) == "2"
    assert local_workers(read_environment(tmp_path, {"CHATTERBOX_WORKERS": "3"})) == "3"
    assert local_workers({}) == "0"


def test_the_settings_defaults_are_the_constants(no_server_settings):
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port, settings.studio_port) == (
        "127.0.0.1",
        DEFAULT_PORT,
        DEFAULT_STUDIO_PORT,
    )
    assert server_url({}) == f"http://{settings.host}:{settings.port}"


def test_the_engine_and_the_setup_read_one_list_of_model_files():
    from backend.core import models
    from studio_setup import model_files

    assert models.ORIGINAL.files is MODEL_FILES
    assert model_files.model_files() is MODEL_FILES


def test_the_studio_default_is_the_rule_without_settings():
    # The studio's image holds frontend/ only, so it keeps a literal; it must be the rule's answer.
    from frontend import api_client

    assert server_url({}) == api_client.DEFAULT_URL

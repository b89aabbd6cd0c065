"""studio_setup.env_file on a real .env in tmp_path: one setting set, every other line kept."""

from __future__ import annotations

from backend.core.constants import read_environment
from studio_setup import env_file


def test_a_setting_goes_into_a_new_env_file_and_reads_back_as_the_server_reads_it(tmp_path):
    env_file.set_value(tmp_path, "CHATTERBOX_MODEL", "turbo")

    assert (tmp_path / ".env").read_text() == "CHATTERBOX_MODEL=turbo\n"
    assert env_file.read_value(tmp_path, "CHATTERBOX_MODEL") == "turbo"
    assert read_environment(tmp_path, environ={})["CHATTERBOX_MODEL"] == "turbo"


def test_the_first_line_is_rewritten_later_ones_dropped_and_the_rest_kept(tmp_path):
    (tmp_path / ".env").write_text(
        "# my settings\nCHATTERBOX_PORT=8123\nexport CHATTERBOX_MODEL='original'\n"
        "CHATTERBOX_KEEP_ALIVE=300\nCHATTERBOX_MODEL=multilingual\n"
    )
    assert env_file.read_value(tmp_path, "CHATTERBOX_MODEL") == "multilingual"  # the last wins

    env_file.set_value(tmp_path, "CHATTERBOX_MODEL", "turbo")

    assert (tmp_path / ".env").read_text() == (
        "# my settings\nCHATTERBOX_PORT=8123\nCHATTERBOX_MODEL=turbo\nCHATTERBOX_KEEP_ALIVE=300\n"
    )


def test_windows_line_endings_stay_and_a_missing_setting_is_added_at_the_end(tmp_path):
    (tmp_path / ".env").write_bytes(b"CHATTERBOX_PORT=8123\r\nCHATTERBOX_DEVICE=cuda")

    env_file.set_value(tmp_path, "CHATTERBOX_MODEL", "original")

    assert (tmp_path / ".env").read_bytes() == (
        b"CHATTERBOX_PORT=8123\r\nCHATTERBOX_DEVICE=cuda\r\nCHATTERBOX_MODEL=original\r\n"
    )
    assert env_file.read_value(tmp_path, "CHATTERBOX_PORTS") is None


def test_no_env_file_means_no_value(tmp_path):
    assert env_file.read_value(tmp_path, "CHATTERBOX_MODEL") is None

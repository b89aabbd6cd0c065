"""studio_setup.fetch_model in process, without a hub (the tests run with HF_HUB_OFFLINE=1):
its offline errors, a complete model left alone, and the Cangjie table filed where
chatterbox-tts 0.1.7 looks it up (huggingface_hub's own offline lookup finds it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from huggingface_hub import hf_hub_download

from backend.core.models import CANGJIE_FILE, CHATTERBOX_REPO
from studio_setup import exits, fetch_model
from studio_setup.model_files import CANGJIE_CACHE
from tests.scripts.setup_fakes import write_model


def test_offline_the_download_stops_with_the_no_network_code_and_says_why(tmp_path, capsys):
    code = fetch_model.main(["--model", "turbo", "--dest", str(tmp_path)])

    said = capsys.readouterr().out
    assert code == exits.NO_NETWORK
    assert (
        "Could not get the file list of ResembleAI/chatterbox-turbo: HF_HUB_OFFLINE is set" in said
    )
    assert "Unset it and run again." in said
    assert not (tmp_path / "turbo").exists()


def test_the_first_model_that_fails_stops_the_others(tmp_path, capsys):
    code = fetch_model.main(["--model", "original", "turbo", "--dest", str(tmp_path)])

    said = capsys.readouterr().out
    assert code == exits.NO_NETWORK
    assert "Could not get the file list of ResembleAI/chatterbox: HF_HUB_OFFLINE is set" in said
    assert "Turbo" not in said and "chatterbox-turbo" not in said


def test_a_complete_model_needs_no_hub_and_its_cangjie_table_is_filed_for_chatterbox_tts(
    tmp_path, capsys
):
    folder = write_model(tmp_path, "multilingual")
    cache = tmp_path / "model_cache"
    shutil.rmtree(folder / CANGJIE_CACHE)  # as a copy by hand would be: no hub cache layout

    code = fetch_model.main(["--model", "multilingual", "--dest", str(cache)])

    assert code == exits.OK
    assert "Nothing to download" in capsys.readouterr().out
    # What ChineseCangjieConverter does in chatterbox-tts 0.1.7, offline.
    found = hf_hub_download(repo_id=CHATTERBOX_REPO, filename=CANGJIE_FILE, cache_dir=folder)
    assert Path(found).read_bytes() == (folder / CANGJIE_FILE).read_bytes()
    assert found.endswith(f"snapshots/c0ffee/{CANGJIE_FILE}")  # the manifest's commit


def test_a_network_error_is_recognised_through_its_causes():
    class ConnectError(Exception):
        pass

    try:
        try:
            raise ConnectError("refused")
        except ConnectError as inner:
            raise RuntimeError("the download failed") from inner
    except RuntimeError as outer:
        assert fetch_model.is_network_error(outer)
    assert not fetch_model.is_network_error(ValueError("bad size"))

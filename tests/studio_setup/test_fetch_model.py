"""studio_setup.fetch_model in process, without a hub (the tests run with HF_HUB_OFFLINE=1):
its offline errors, a complete model left alone, and the Cangjie table filed where
chatterbox-tts 0.1.7 looks it up (huggingface_hub's own offline lookup finds it), and
Multilingual's word segmenter fetched into the model's folder."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

from huggingface_hub import hf_hub_download

from backend.core.models import (
    CANGJIE_FILE,
    CHATTERBOX_REPO,
    PKUSEG_DIR,
    PKUSEG_MODEL,
    missing_files,
    segmenter_present,
)
from studio_setup import exits, fetch_model
from studio_setup.model_files import CANGJIE_CACHE
from tests.scripts.setup_fakes import write_model, write_segmenter


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


def test_a_multilingual_model_without_its_word_segmenter_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.delenv("PKUSEG_HOME", raising=False)
    write_model(tmp_path, "multilingual", segmenter=False)
    cache = tmp_path / "model_cache"

    assert missing_files(cache, "multilingual") == [f"{PKUSEG_DIR}/{PKUSEG_MODEL}"]
    write_segmenter(cache / "multilingual" / PKUSEG_DIR)
    assert missing_files(cache, "multilingual") == []


def test_set_up_fetches_the_segmenter_with_spacy_pkusegs_own_download_into_the_models_folder(
    tmp_path, monkeypatch, capsys
):
    folder = write_model(tmp_path, "multilingual", segmenter=False)
    (folder / PKUSEG_DIR).mkdir()
    (folder / PKUSEG_DIR / f"{PKUSEG_MODEL}.zip").write_bytes(b"PK")  # left by a stopped run
    calls = []

    def download_model(url, model_dir, hash_prefix):  # the network's edge: what it would leave
        calls.append((url, model_dir, hash_prefix, Path(model_dir, f"{PKUSEG_MODEL}.zip").exists()))
        write_segmenter(Path(model_dir))

    package = types.ModuleType("spacy_pkuseg")
    config = types.SimpleNamespace(
        model_urls={PKUSEG_MODEL: "https://example.invalid/spacy_ontonotes.zip"},
        model_hash={PKUSEG_MODEL: "b216e7"},
    )
    modules = {
        "spacy_pkuseg": package,
        "spacy_pkuseg.config": types.SimpleNamespace(config=config),
        "spacy_pkuseg.download": types.SimpleNamespace(download_model=download_model),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)

    code = fetch_model.main(["--model", "multilingual", "--dest", str(tmp_path / "model_cache")])

    assert code == exits.OK, capsys.readouterr().out
    home = str(folder / PKUSEG_DIR)
    # The stale archive went first, or spacy_pkuseg would skip the download and never unpack.
    assert calls == [("https://example.invalid/spacy_ontonotes.zip", home, "b216e7", False)]
    assert segmenter_present(folder / PKUSEG_DIR)
    assert "Chinese word segmenter" in capsys.readouterr().out


def test_without_spacy_pkuseg_set_up_says_to_install_the_engine(tmp_path, monkeypatch, capsys):
    write_model(tmp_path, "multilingual", segmenter=False)
    monkeypatch.setitem(sys.modules, "spacy_pkuseg", None)  # not installed

    code = fetch_model.main(["--model", "multilingual", "--dest", str(tmp_path / "model_cache")])

    assert code == exits.STEP_FAILED
    assert "setup_env.py --engine chatterbox --model multilingual" in capsys.readouterr().out

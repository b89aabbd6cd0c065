"""studio_setup.model_files on real folders in tmp_path: where each model's files are (the
original also at the top of the cache), what belongs to each, their state against the manifest,
sizes on disk, the Cangjie table's place, and the hub's sizes from a fake hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.core.models import CANGJIE_FILE, MODELS, MULTILINGUAL, ORIGINAL, TURBO
from studio_setup import model_files as models
from tests.scripts.script_helpers import http_stub, reply
from tests.scripts.setup_fake_hub import fake_hub, model_sizes


def put(folder: Path, names, size: int = 10) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x" * size)


def manifest(folder: Path, sizes: dict[str, int]) -> None:
    (folder / models.MANIFEST).write_text(json.dumps({"files": sizes}))


def test_a_fresh_cache_gives_each_model_its_own_folder_and_nothing_to_remove(tmp_path):
    for key in MODELS:
        assert models.model_folder(tmp_path, key) == tmp_path / key
        assert models.model_paths(tmp_path, key) == []
        assert not models.model_state(tmp_path, key).started


def test_an_original_at_the_top_of_the_cache_stays_there_and_owns_only_its_files(tmp_path):
    put(tmp_path, ORIGINAL.all_files)
    manifest(tmp_path, dict.fromkeys(ORIGINAL.all_files, 10))
    put(tmp_path / "turbo", TURBO.files)
    (tmp_path / "README.md").write_text("read me")
    (tmp_path / "notes.txt").write_text("mine")

    assert models.model_folder(tmp_path, "original") == tmp_path
    assert models.at_top(tmp_path, "original")
    assert models.model_state(tmp_path, "original").complete
    assert sorted(p.name for p in models.model_paths(tmp_path, "original")) == sorted(
        [*ORIGINAL.all_files, models.MANIFEST]
    )
    assert models.model_paths(tmp_path, "turbo") == [tmp_path / "turbo"]


def test_an_earlier_versions_unfinished_download_at_the_top_resumes_there(tmp_path):
    put(tmp_path, ["ve.safetensors"])
    put(tmp_path / models.PARTIAL_DIR, ["t3_cfg.safetensors.part"], size=7)

    state = models.model_state(tmp_path, "original")

    assert state.folder == tmp_path
    assert state.missing == [
        "t3_cfg.safetensors",
        "s3gen.safetensors",
        "tokenizer.json",
        "conds.pt",
    ]
    assert state.partial_bytes == 7
    assert tmp_path / models.PARTIAL_DIR in models.model_paths(tmp_path, "original")


def test_an_original_in_its_own_folder_wins_over_stray_files_at_the_top(tmp_path):
    put(tmp_path, ["ve.safetensors"])
    put(tmp_path / "original", ORIGINAL.files)

    assert models.model_folder(tmp_path, "original") == tmp_path / "original"
    assert set(models.model_paths(tmp_path, "original")) == {
        tmp_path / "original",
        tmp_path / "ve.safetensors",
    }


def test_a_complete_download_may_lack_optional_files_the_hub_did_not_have(tmp_path):
    folder = tmp_path / "turbo"
    put(folder, TURBO.files)
    manifest(folder, dict.fromkeys(TURBO.files, 10))

    state = models.model_state(tmp_path, "turbo")

    assert state.complete and state.installed
    assert state.absent_optional == list(TURBO.optional)
    assert state.still_to_download({}) == 0


def test_an_optional_file_the_manifest_lists_but_the_folder_lacks_is_fetched_again(tmp_path):
    folder = tmp_path / "multilingual"
    put(folder, MULTILINGUAL.all_files)
    manifest(folder, dict.fromkeys(MULTILINGUAL.all_files, 10))
    (folder / CANGJIE_FILE).unlink()

    state = models.model_state(tmp_path, "multilingual")

    assert state.installed and not state.complete
    assert state.missing == [CANGJIE_FILE]
    assert state.still_to_download({CANGJIE_FILE: 123}) == 123


def test_sizes_that_differ_from_the_manifest_and_the_test_weights_marker_are_seen(tmp_path):
    folder = tmp_path / "turbo"
    put(folder, [*TURBO.files, models.test_weights_marker()])
    manifest(folder, {**dict.fromkeys(TURBO.files, 10), "vocab.json": 11})

    state = models.model_state(tmp_path, "turbo")

    assert state.wrong_size == [("vocab.json", 10, 11)]
    assert state.test_weights
    assert not state.complete


def test_what_is_left_to_download_counts_partial_downloads_as_done(tmp_path):
    folder = tmp_path / "turbo"
    put(folder, ["ve.safetensors"], size=100)
    put(folder / models.PARTIAL_DIR, ["t3_turbo_v1.safetensors.part"], size=40)
    state = models.model_state(tmp_path, "turbo")
    sizes = {name: 1000 for name in TURBO.all_files}

    assert state.still_to_download(sizes) == 1000 * (len(TURBO.all_files) - 1) - 40
    # Without the hub's sizes: the model's size, less what is there.
    assert state.still_to_download(None) == TURBO.approx_bytes - 140


def test_size_on_disk_does_not_follow_links(tmp_path):
    folder = tmp_path / "turbo"
    put(folder, ["ve.safetensors"], size=300)
    put(tmp_path / "elsewhere", ["big.bin"], size=5000)
    (folder / "link.bin").symlink_to(tmp_path / "elsewhere" / "big.bin")
    (folder / "linked-dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    assert models.disk_bytes(models.model_paths(tmp_path, "turbo")) == 300


def test_the_cangjie_table_is_found_only_in_the_hub_cache_layout_inside_the_folder(tmp_path):
    folder = tmp_path / "multilingual"
    put(folder, [CANGJIE_FILE])
    assert models.cangjie_snapshot(folder) is None

    cache = folder / models.CANGJIE_CACHE
    put(cache / "snapshots" / "abc", [CANGJIE_FILE])
    (cache / "refs").mkdir()
    (cache / "refs" / "main").write_text("abc\n")

    assert models.cangjie_snapshot(folder) == cache / "snapshots" / "abc" / CANGJIE_FILE


def test_the_model_cache_is_read_from_the_projects_env_file_as_the_server_reads_it(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("CHATTERBOX_MODEL_CACHE_DIR", raising=False)
    assert models.model_dir(tmp_path) == (tmp_path / "model_cache").resolve()
    (tmp_path / ".env").write_text("CHATTERBOX_MODEL_CACHE_DIR=weights\n")
    assert models.model_dir(tmp_path) == (tmp_path / "weights").resolve()
    monkeypatch.setenv("CHATTERBOX_MODEL_CACHE_DIR", str(tmp_path / "other"))
    assert models.model_dir(tmp_path) == (tmp_path / "other").resolve()


def test_the_hubs_sizes_hold_the_required_files_and_the_optional_ones_it_lists(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    with fake_hub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        turbo = models.remote_sizes(TURBO)
        multilingual = models.remote_sizes(MULTILINGUAL)

    assert turbo.sizes == model_sizes("turbo")
    assert "special_tokens_map.json" not in turbo.sizes
    assert multilingual.sizes is not None and CANGJIE_FILE in multilingual.sizes


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_offline_mode_means_no_sizes_and_says_which_variable_set_it(monkeypatch, variable):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv(variable, "1")

    remote = models.remote_sizes(TURBO)

    assert remote.sizes is None and remote.unreachable
    assert remote.why == f"{variable} is set"


def test_an_unreachable_hub_is_told_apart_from_one_that_answers_an_error(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    gone = models.remote_sizes(ORIGINAL, timeout=5)
    with http_stub(reply(500, b"")) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        failing = models.remote_sizes(ORIGINAL, timeout=5)

    assert gone.sizes is None and gone.unreachable
    assert gone.why.startswith("cannot reach http://127.0.0.1:9")
    assert failing.sizes is None and not failing.unreachable
    assert failing.why == "the hub answered HTTP 500"

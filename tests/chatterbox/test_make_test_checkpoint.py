"""studio_tools.make_test_checkpoint: the real file format, marked as test weights, reproducible."""

from __future__ import annotations

import json

from backend.core.constants import MODEL_FILES, TEST_WEIGHTS_MARKER
from tests.chatterbox.conftest import run_real


def test_the_checkpoint_holds_the_five_files_and_the_test_marker(checkpoint):
    marker = json.loads((checkpoint / TEST_WEIGHTS_MARKER).read_text())

    assert sorted(marker["sha256"]) == sorted(MODEL_FILES)
    assert marker["weights"] == "random-test"
    assert marker["chatterbox_tts"] == "0.1.7"
    assert checkpoint.name == "chatterbox-tts-0.1.7-seed0"  # keyed by package version
    assert (checkpoint / "t3_cfg.safetensors").stat().st_size > 2_000_000_000  # the real size


def test_the_tokenizer_holds_start_and_stop_within_t3s_704_text_ids(checkpoint):
    vocab = json.loads((checkpoint / "tokenizer.json").read_text())["model"]["vocab"]

    assert vocab["[START]"] == 255 and vocab["[STOP]"] == 0  # T3's start/stop text tokens
    assert max(vocab.values()) < 704


def test_two_builds_with_the_same_seed_give_identical_files(checkpoint, tmp_path):
    again = tmp_path / "again"
    run_real("-m", "studio_tools.make_test_checkpoint", str(again))

    first = json.loads((checkpoint / TEST_WEIGHTS_MARKER).read_text())["sha256"]
    second = json.loads((again / TEST_WEIGHTS_MARKER).read_text())["sha256"]
    assert second == first

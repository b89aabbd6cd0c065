"""studio_tools.make_test_checkpoint: the real file format of each model, marked as test weights,
reproducible, loaded by the real `from_local` and bounded by studio_tools.bounded_generation."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from backend.core.constants import MODEL_FILES, TEST_WEIGHTS_MARKER
from backend.core.models import MULTILINGUAL, TURBO
from studio_tools.checkpoint_tokenizers import CANGJIE, TAGS
from tests.chatterbox.conftest import HERE, SAMPLES_PER_TOKEN, run_real

TOKENS = 8  # per bounded generate: 8 x 40 ms
TURBO_SILENCE_TOKENS = 3  # ChatterboxTurboTTS.generate appends 3 S3GEN_SIL tokens


def probe(model: str, folder: Path) -> dict:
    try:
        done = run_real(str(HERE / "probe_checkpoint.py"), model, str(folder), str(TOKENS))
    except subprocess.CalledProcessError as failed:
        pytest.fail(f"probe_checkpoint.py {model} failed:\n{failed.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def marker(folder: Path) -> dict:
    return json.loads((folder / TEST_WEIGHTS_MARKER).read_text())


@pytest.fixture(scope="module")
def original_probe(checkpoint) -> dict:
    return probe("original", checkpoint)


@pytest.fixture(scope="module")
def turbo_probe(turbo_checkpoint) -> dict:
    return probe("turbo", turbo_checkpoint)


@pytest.fixture(scope="module")
def multilingual_probe(multilingual_checkpoint) -> dict:
    return probe("multilingual", multilingual_checkpoint)


def test_the_checkpoint_holds_the_five_files_and_the_test_marker(checkpoint):
    found = marker(checkpoint)

    assert sorted(found["sha256"]) == sorted(MODEL_FILES)
    assert found["weights"] == "random-test"
    assert found.get("model", "original") == "original"  # markers before turbo had no key
    assert found["chatterbox_tts"] == "0.1.7"
    assert checkpoint.name == "chatterbox-tts-0.1.7-seed0"  # keyed by package version
    assert (checkpoint / "t3_cfg.safetensors").stat().st_size > 2_000_000_000  # the real size


def test_the_tokenizer_holds_start_and_stop_within_t3s_704_text_ids(checkpoint):
    vocab = json.loads((checkpoint / "tokenizer.json").read_text())["model"]["vocab"]

    assert vocab["[START]"] == 255 and vocab["[STOP]"] == 0  # T3's start/stop text tokens
    assert max(vocab.values()) < 704


def test_two_builds_with_the_same_seed_give_identical_files(checkpoint, tmp_path):
    again = tmp_path / "again"
    run_real("-m", "studio_tools.make_test_checkpoint", str(again))

    assert marker(again)["sha256"] == marker(checkpoint)["sha256"]


def test_the_turbo_checkpoint_holds_what_its_from_local_reads_in_its_own_folder(turbo_checkpoint):
    found = marker(turbo_checkpoint)
    files = set(found["sha256"])

    assert found["model"] == "turbo" and found["weights"] == "random-test"
    assert turbo_checkpoint.name == "chatterbox-tts-0.1.7-turbo-seed0"
    assert set(TURBO.files) <= files <= set(TURBO.all_files)
    assert "conds.pt" in TURBO.files  # the built-in voice is required (every repo ships one)
    assert files - set(TURBO.files) == {"tokenizer_config.json", "special_tokens_map.json"}


def test_the_multilingual_checkpoint_holds_what_its_from_local_reads_and_the_cangjie_table(
    multilingual_checkpoint,
):
    found = marker(multilingual_checkpoint)

    assert found["model"] == "multilingual" and found["weights"] == "random-test"
    assert multilingual_checkpoint.name == "chatterbox-tts-0.1.7-multilingual-seed0"
    assert set(found["sha256"]) == set(MULTILINGUAL.all_files)


def test_the_original_generates_exactly_the_bounded_tokens_of_audio_on_every_call(original_probe):
    assert original_probe["sr"] == 24000
    assert original_probe["samples"] == [TOKENS * SAMPLES_PER_TOKEN] * 2
    assert original_probe["steps"] == [TOKENS + 1] * 2  # N tokens, then the forced end token


def test_turbo_generates_the_bounded_tokens_and_its_silence_tail_on_every_call(turbo_probe):
    # Turbo's prefill feeds speech_head one position, so a new call is seen at the transformer:
    # the second call is bounded like the first.
    assert turbo_probe["samples"] == [(TOKENS + TURBO_SILENCE_TOKENS) * SAMPLES_PER_TOKEN] * 2
    assert turbo_probe["steps"] == [TOKENS + 1] * 2


def test_the_multilingual_model_generates_exactly_the_bounded_tokens_on_every_call(
    multilingual_probe,
):
    assert multilingual_probe["samples"] == [TOKENS * SAMPLES_PER_TOKEN] * 2
    assert multilingual_probe["steps"] == [TOKENS + 1] * 2


def test_the_multilingual_model_leaks_three_attention_hooks_per_generate(multilingual_probe):
    # chatterbox-tts 0.1.7: every generate builds an AlignmentStreamAnalyzer that registers
    # hooks on layers 9, 12 and 13 and never removes them (the engine must clean up after it).
    _before, first, second = multilingual_probe["attention_hooks"]

    assert second - first == 3


def test_the_turbo_tokenizer_lists_the_tag_tokens_within_t3s_50276_text_ids(turbo_probe):
    tokenizer = turbo_probe["tokenizer"]

    assert tokenizer["length"] == 50276
    assert {tag: tokenizer["added"][tag] for tag in TAGS} == {
        tag: 50257 + i for i, tag in enumerate(TAGS)
    }
    assert tokenizer["added"]["<|endoftext|>"] == 50256
    ids = tokenizer["ids"]
    assert ids[0] == tokenizer["added"]["[laugh]"]
    assert tokenizer["added"]["[clear throat]"] in ids  # a tag with a space is one token
    assert max(ids) < 50276


def test_the_multilingual_tokenizer_encodes_english_german_and_french(multilingual_probe):
    tokenizer = multilingual_probe["tokenizer"]

    assert tokenizer["size"] == 2454
    for lang, ids in tokenizer["encoded"].items():
        assert ids[0] == tokenizer["language_ids"][lang]
        assert tokenizer["unk"] not in ids  # umlauts and accents are in (after NFKD)
        assert max(ids) < 2454
    assert tokenizer["decoded"]["de"] == unicodedata.normalize("NFKD", "[de]grüße aus köln.")


CHINESE = """
import json, sys
from chatterbox.models.tokenizers.tokenizer import MTLTokenizer
tokenizer = MTLTokenizer(sys.argv[1])
ids = tokenizer.encode("你好，世界。日曰。", language_id="zh")
print(json.dumps({"table": len(tokenizer.cangjie_converter.word2cj),
                  "text": tokenizer.decode(ids)}, ensure_ascii=False))
"""


def test_the_chinese_converter_reads_the_checkpoints_cangjie_table_from_a_seeded_hub_cache(
    multilingual_checkpoint, tmp_path
):
    # ChineseCangjieConverter calls hf_hub_download(cache_dir=<the tokenizer's folder>); a hub
    # cache layout there, pointing at the checkpoint's table, is what it finds offline.
    grapheme = "grapheme_mtl_merged_expanded_v1.json"
    shutil.copy(multilingual_checkpoint / grapheme, tmp_path / grapheme)
    repo = tmp_path / "models--ResembleAI--chatterbox"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    shutil.copy(multilingual_checkpoint / "Cangjie5_TC.json", snapshot / "Cangjie5_TC.json")

    done = run_real("-c", CHINESE, str(tmp_path / grapheme))
    found = json.loads(done.stdout.strip().splitlines()[-1])

    assert found["table"] == len(CANGJIE)
    # 你 onf, 好 vnd, ...; 日 and 曰 share "a", so 曰 gets the index 1
    assert "[cj_o][cj_n][cj_f][cj_.]" in found["text"]
    assert "[cj_a][cj_1][cj_.]" in found["text"]

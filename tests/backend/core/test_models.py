"""The family's table: folders per model, what counts as installed, and the choice rule."""

from __future__ import annotations

import shutil

import pytest

from backend.core import models
from tests.scripts.setup_fakes import write_segmenter

GIB = 1024**3


def fill(folder, key, skip=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name in models.MODELS[key].files:
        if name != skip:
            (folder / name).write_bytes(b"x")
    if key == "multilingual":
        write_segmenter(models.pkuseg_home(folder))


def test_each_model_has_its_own_folder_and_the_old_top_level_original_is_still_found(tmp_path):
    assert models.model_dir(tmp_path, "turbo") == tmp_path / "turbo"
    assert models.model_dir(tmp_path, "original") == tmp_path / "original"
    fill(tmp_path, "original")  # files at the top of the cache: the earlier layout
    assert models.model_dir(tmp_path, "original") == tmp_path
    assert models.installed(tmp_path) == ["original"]
    fill(tmp_path / "original", "original")  # a folder of its own wins
    assert models.model_dir(tmp_path, "original") == tmp_path / "original"


def test_a_model_with_a_file_missing_is_not_installed(tmp_path):
    fill(tmp_path / "turbo", "turbo", skip="merges.txt")
    fill(tmp_path / "multilingual", "multilingual")
    assert models.missing_files(tmp_path, "turbo") == ["merges.txt"]
    assert models.installed(tmp_path) == ["multilingual"]


@pytest.mark.parametrize(
    ("available", "vram", "language", "expected"),
    [
        (["original", "turbo"], None, None, "turbo"),  # CPU
        (["original", "turbo"], 6 * GIB, None, "turbo"),  # an RTX 3050
        (["original", "turbo"], 8 * GIB, None, "turbo"),
        (["original", "turbo"], 24 * GIB, None, "original"),
        (["turbo"], 24 * GIB, None, "turbo"),
        (["multilingual"], 6 * GIB, None, "multilingual"),
        (["original", "turbo", "multilingual"], 6 * GIB, "de", "multilingual"),
        (["original", "turbo"], 6 * GIB, "de", None),
        (["original", "turbo"], 6 * GIB, "en", "turbo"),
        ([], None, None, None),
    ],
)
def test_the_choice_rule(available, vram, language, expected):
    assert models.choose(available, vram, language) == expected


def test_find_takes_a_key_or_a_real_name():
    assert models.find("Turbo") is models.TURBO
    assert models.find("chatterbox-multilingual") is models.MULTILINGUAL
    assert models.find("chatterbox") is models.ORIGINAL
    assert models.find("tts-1") is None


def test_multilingual_is_not_installed_without_its_word_segmenter(tmp_path):
    fill(tmp_path / "multilingual", "multilingual")
    assert models.installed(tmp_path) == ["multilingual"]
    shutil.rmtree(models.pkuseg_home(tmp_path / "multilingual"))
    assert models.missing_files(tmp_path, "multilingual") == ["pkuseg/spacy_ontonotes"]
    assert models.installed(tmp_path) == []

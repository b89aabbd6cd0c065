"""The test-checkpoint cache (studio_tools.make_test_checkpoint.ensure): a finished build of the
current layout is kept, one of an older layout is built again, another model's is refused. The
build itself (torch, chatterbox-tts) is the real tier's; here it writes only its marker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.core.constants import TEST_WEIGHTS_MARKER
from studio_tools import make_test_checkpoint

BUILT: list[Path] = []


@pytest.fixture(autouse=True)
def marker_only_build(monkeypatch):
    """`build` as it ends: the files, then the marker (of the current layout) written last."""

    def build(folder: Path, seed: int = 0, model: str = "original") -> dict:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "weights.safetensors").write_bytes(b"new")
        marker = {"model": model, "layout": make_test_checkpoint.LAYOUT[model], "seed": seed}
        (folder / TEST_WEIGHTS_MARKER).write_text(json.dumps(marker))
        BUILT.append(folder)
        return marker

    BUILT.clear()
    monkeypatch.setattr(make_test_checkpoint, "build", build)


def finished(folder: Path, **marker) -> Path:
    folder.mkdir()
    (folder / "weights.safetensors").write_bytes(b"old")
    (folder / TEST_WEIGHTS_MARKER).write_text(json.dumps(marker))
    return folder


def test_a_build_of_the_current_layout_is_kept(tmp_path):
    layout = make_test_checkpoint.LAYOUT["turbo"]
    folder = finished(tmp_path / "turbo", model="turbo", layout=layout)

    assert make_test_checkpoint.ensure(folder, model="turbo") == folder

    assert BUILT == []
    assert (folder / "weights.safetensors").read_bytes() == b"old"


def test_a_build_of_an_older_layout_is_built_again_in_its_place(tmp_path):
    assert make_test_checkpoint.LAYOUT["turbo"] > 1  # the tag names changed the tokenizer
    folder = finished(tmp_path / "turbo", model="turbo")  # written before the layout was kept

    assert make_test_checkpoint.ensure(folder, model="turbo") == folder

    assert len(BUILT) == 1 and BUILT[0].name == "turbo.partial"  # never half-built in place
    assert (folder / "weights.safetensors").read_bytes() == b"new"
    assert make_test_checkpoint.built_layout(folder) == make_test_checkpoint.LAYOUT["turbo"]
    assert not (tmp_path / "turbo.partial").exists()


def test_a_build_of_another_model_is_refused_not_overwritten(tmp_path):
    folder = finished(tmp_path / "checkpoint", model="original", layout=1)

    with pytest.raises(ValueError, match="holds a original test checkpoint, not turbo"):
        make_test_checkpoint.ensure(folder, model="turbo")

    assert BUILT == []
    assert (folder / "weights.safetensors").read_bytes() == b"old"


def test_an_unfinished_folder_is_built(tmp_path):
    folder = tmp_path / "multilingual"
    folder.mkdir()
    (folder / "weights.safetensors").write_bytes(b"half")  # a crash before the marker

    make_test_checkpoint.ensure(folder, model="multilingual")

    assert (folder / "weights.safetensors").read_bytes() == b"new"

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from backend.core.constants import MODEL_FILES
from backend.core.settings import Settings
from backend.engines.chatterbox import ChatterboxEngine
from backend.engines.host import EngineHost
from backend.engines.piper import PiperEngine
from backend.engines.select import build_engine
from tests.scripts.setup_fakes import write_segmenter

FAKE_PACKAGE = Path(__file__).parents[2] / "fakes" / "chatterbox_pkg"


def settings_for(tmp_path, **overrides) -> Settings:
    return Settings(
        _env_file=None, model_cache_dir=tmp_path / "cache", data_dir=tmp_path, **overrides
    )


@pytest.fixture
def chatterbox_installed(monkeypatch):
    monkeypatch.syspath_prepend(str(FAKE_PACKAGE))
    yield
    sys.modules.pop("chatterbox", None)


@pytest.fixture
def chatterbox_missing(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "chatterbox" else real(name, *a),
    )


def fill_cache(cache: Path, skip: str | None = None) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if name != skip:
            (cache / name).write_bytes(b"x")


def test_auto_picks_chatterbox_when_it_imports_and_all_five_files_are_cached(
    tmp_path, chatterbox_installed
):
    fill_cache(tmp_path / "cache")
    assert hosts(build_engine(settings_for(tmp_path)), ChatterboxEngine)


def test_auto_falls_back_to_piper_when_a_model_file_is_missing(tmp_path, chatterbox_installed):
    fill_cache(tmp_path / "cache", skip="s3gen.safetensors")
    assert hosts(build_engine(settings_for(tmp_path)), PiperEngine)


def test_auto_falls_back_to_piper_when_chatterbox_is_not_installed(tmp_path, chatterbox_missing):
    fill_cache(tmp_path / "cache")
    assert hosts(build_engine(settings_for(tmp_path)), PiperEngine)


def test_explicit_engine_choice_is_honoured_even_if_it_cannot_work(tmp_path, chatterbox_missing):
    engine = build_engine(settings_for(tmp_path, engine="chatterbox"))
    assert hosts(engine, ChatterboxEngine)  # /health then says what is missing
    assert hosts(build_engine(settings_for(tmp_path, engine="piper")), PiperEngine)


def hosts(engine, engine_class) -> bool:
    """The server's engine runs in a host process, built from `engine_class` there."""
    return isinstance(engine, EngineHost) and engine.factory is engine_class


def fill_model(cache: Path, key: str) -> None:
    from backend.core import models

    folder = cache / key
    folder.mkdir(parents=True, exist_ok=True)
    for name in models.MODELS[key].files:
        (folder / name).write_bytes(b"x")
    if key == models.MULTILINGUAL.key:
        write_segmenter(models.pkuseg_home(folder))


def test_the_catalog_holds_each_installed_model_and_piper(tmp_path, chatterbox_installed):
    from backend.engines.select import build_catalog

    fill_model(tmp_path / "cache", "original")
    fill_model(tmp_path / "cache", "turbo")
    catalog = build_catalog(settings_for(tmp_path, device="cpu"))
    assert list(catalog) == ["original", "turbo", "piper"]
    assert catalog.default == "turbo"  # the choice rule on a machine without a card
    assert catalog.model_id("turbo") == "chatterbox-turbo"
    assert hosts(catalog.engine("turbo"), ChatterboxEngine)
    chosen = build_catalog(settings_for(tmp_path, device="cpu", chatterbox_model="original"))
    assert chosen.default == "original"


def test_a_chosen_model_that_is_not_installed_is_still_the_default(tmp_path, chatterbox_installed):
    from backend.engines.select import build_catalog

    fill_model(tmp_path / "cache", "original")
    catalog = build_catalog(settings_for(tmp_path, chatterbox_model="multilingual"))
    assert catalog.default == "multilingual"  # /health then names its missing files
    assert list(catalog) == ["original", "multilingual", "piper"]

"""The fake chatterbox package on sys.path, a checkpoint folder for it, and small helpers.

The fake encodes a voice as the dominant frequency of its reference clip and speaks a sine at that
frequency, so the dominant frequency of the output tells which voice spoke.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backend.core.settings import Settings
from backend.engines.base import SynthesisParams, VoiceRef
from backend.engines.chatterbox import MODEL_FILES, ChatterboxEngine

FAKE_PKG = Path(__file__).resolve().parents[1] / "fakes" / "chatterbox_pkg"
SR = 24000
BUILTIN_HZ = 150.0
TEXT = "Hello there, this is a short sentence for the fake voice."


def _drop_fake_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in ("chatterbox", "perth"):
            del sys.modules[name]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    """The fake `chatterbox.tts` module, importable for the test and forgotten afterwards."""
    _drop_fake_modules()
    monkeypatch.syspath_prepend(str(FAKE_PKG))
    import chatterbox.tts

    yield chatterbox.tts
    _drop_fake_modules()


@pytest.fixture
def model_dir(tmp_path: Path, fake) -> Path:
    """A checkpoint folder with the five files; conds.pt holds a 150 Hz built-in voice."""
    path = tmp_path / "model_cache"
    path.mkdir()
    for name in MODEL_FILES[:-1]:
        (path / name).write_bytes(b"fake weights")
    fake.Conditionals.from_frequency(BUILTIN_HZ).save(path / "conds.pt")
    return path


def make_settings(tmp_path: Path, model_dir: Path, **overrides) -> Settings:
    return Settings(model_cache_dir=model_dir, data_dir=tmp_path, device="cpu", **overrides)


def make_engine(tmp_path: Path, model_dir: Path, **overrides) -> ChatterboxEngine:
    engine = ChatterboxEngine(make_settings(tmp_path, model_dir, **overrides))
    engine.load()
    return engine


def write_voice(tmp_path: Path, voice_id: str, hz: float, seconds: float = 3.0) -> VoiceRef:
    folder = tmp_path / "voices" / voice_id
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SR)) / SR
    sf.write(folder / "reference.wav", 0.5 * np.sin(2 * np.pi * hz * t), SR)
    return VoiceRef(voice_id, folder / "reference.wav", folder)


def speak(engine: ChatterboxEngine, handle, **params) -> np.ndarray:
    return engine.synthesize(TEXT, handle, SynthesisParams(**params)).samples

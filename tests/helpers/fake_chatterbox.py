"""The fake chatterbox package on sys.path, a checkpoint folder for it, and small helpers.

The fake encodes a voice as the dominant frequency of its reference clip and speaks a sine at that
frequency, so the dominant frequency of the output tells which voice spoke. The fake package has
no voice encoder; FakeVoiceEncoder stands in for one where a test needs the speaker check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backend.core.constants import MODEL_FILES
from backend.core.settings import Settings
from backend.core.speech import SynthesisParams, VoiceRef
from backend.engines.chatterbox import ChatterboxEngine
from tests.helpers.audio import dominant_hz

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


class FakeVoiceEncoder:
    """Stands in for chatterbox's VoiceEncoder (`model.ve`): embeds a clip as the unit vector at
    the angle of its dominant frequency, one turn per TURN_HZ, so the cosine of two tones is
    cos(2 pi (f1 - f2) / TURN_HZ). Records (sample_rate, samples) of every clip it embeds;
    `error` makes it raise instead, as an odd clip can upstream."""

    TURN_HZ = 1000.0

    def __init__(self, error: Exception | None = None):
        self.error = error
        self.calls: list[tuple[int, int]] = []

    @classmethod
    def embedding(cls, hz: float) -> np.ndarray:
        angle = 2 * np.pi * hz / cls.TURN_HZ
        return np.array([np.cos(angle), np.sin(angle)], dtype=np.float32)

    def embeds_from_wavs(self, wavs: list[np.ndarray], sample_rate: int, **_: object) -> np.ndarray:
        """(len(wavs), 2) float32 utterance embeddings, as upstream's returns (B, 256)."""
        if self.error is not None:
            raise self.error
        self.calls += [(sample_rate, len(wav)) for wav in wavs]
        return np.stack([self.embedding(dominant_hz(wav, sample_rate)) for wav in wavs])


def add_voice_encoder(fake, **kwargs) -> FakeVoiceEncoder:
    """Give the fake model the engine loaded last a FakeVoiceEncoder, as upstream's has a `ve`."""
    encoder = FakeVoiceEncoder(**kwargs)
    fake.ChatterboxTTS.last_instance().ve = encoder
    return encoder


def embedded_voice(fake, hz: float):
    """Conditionals for a voice speaking at `hz` whose speaker_emb is FakeVoiceEncoder's
    embedding of it, as upstream's prepare_conditionals stores the voice encoder's."""
    import torch

    speaker_emb = torch.from_numpy(FakeVoiceEncoder.embedding(hz)).unsqueeze(0)
    return fake.Conditionals(
        fake.T3Cond(speaker_emb=speaker_emb), {"embedding": torch.tensor([hz, 0.35])}
    )

from __future__ import annotations

import numpy as np
import pytest

from backend.core.errors import VoiceCloningUnavailable
from backend.engines.base import SynthesisParams, VoiceRef
from backend.engines.piper import PiperEngine
from tests.helpers.audio import speech_seconds


@pytest.fixture(scope="module")
def engine():
    engine = PiperEngine()
    engine.check_environment()
    engine.load()
    yield engine
    engine.unload()


def test_piper_speaks_real_audio_from_the_packaged_voice(engine):
    audio = engine.synthesize(
        "Hello there. This is a test.", engine.prepare_voice(None), SynthesisParams()
    )
    assert audio.sample_rate == 22050
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert 1.0 < audio.seconds < 6.0
    assert np.abs(audio.samples).max() > 0.1  # not silence
    assert np.abs(audio.samples).max() <= 1.0


RATES = (0.5, 0.75, 0.9, 1.25, 1.5, 2.0)


def mean_speech_seconds(engine, text: str, rate: float, takes: int) -> float:
    """Speech duration (silence trimmed at both ends) averaged over takes: Piper's vary a few
    percent from take to take."""
    return float(
        np.mean(
            [
                speech_seconds(audio.samples, audio.sample_rate)
                for audio in (
                    engine.synthesize(text, "builtin", SynthesisParams(rate=rate))
                    for _ in range(takes)
                )
            ]
        )
    )


def test_piper_rate_scales_the_speech_duration_to_within_five_percent(engine):
    text = "Faster now. Or slower."  # two sentences: the pause between them counts
    normal = mean_speech_seconds(engine, text, 1.0, takes=2)
    ratios = {
        rate: mean_speech_seconds(engine, text, rate, takes=2) * rate / normal for rate in RATES
    }

    assert all(abs(ratio - 1) <= 0.05 for ratio in ratios.values()), ratios


def test_piper_cannot_judge_the_speaker_so_the_speaker_check_skips_it(engine):
    handle = engine.prepare_voice(None)
    audio = engine.synthesize("Hello there.", handle, SynthesisParams())

    assert engine.speaker_similarity(audio, handle) is None


def test_piper_refuses_an_uploaded_voice_with_an_install_hint(engine, tmp_path):
    ref = VoiceRef("someone", tmp_path / "reference.wav", tmp_path)
    with pytest.raises(VoiceCloningUnavailable) as caught:
        engine.prepare_voice(ref)
    assert caught.value.status_code == 400
    assert caught.value.code == "voice_cloning_unavailable"
    assert "setup_env.py --engine chatterbox" in caught.value.solution


def test_piper_unload_drops_the_voice_and_load_is_idempotent():
    engine = PiperEngine()
    engine.load()
    engine.load()
    assert engine.is_loaded()
    engine.unload()
    engine.unload()
    assert not engine.is_loaded()
    assert engine.capabilities.can_clone is False

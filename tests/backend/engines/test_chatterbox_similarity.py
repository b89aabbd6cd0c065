"""The Chatterbox speaker check (backend/engines/chatterbox_similarity.py) through ChatterboxEngine,
with the fake chatterbox package and a stand-in voice encoder (tests/helpers/fake_chatterbox.py).

The real voice encoder on real upstream code runs in tests/chatterbox/test_speaker_check.py.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from backend.core.speech import Audio, SynthesisParams
from tests.helpers.fake_chatterbox import (
    SR,
    TEXT,
    add_voice_encoder,
    embedded_voice,
    make_engine,
)


@pytest.fixture
def engine(tmp_path, model_dir):
    return make_engine(tmp_path, model_dir)


def test_a_take_in_the_voices_own_tone_scores_one_and_the_opposite_tone_minus_one(fake, engine):
    add_voice_encoder(fake)
    rose, basil = embedded_voice(fake, 200.0), embedded_voice(fake, 700.0)  # half a turn apart
    audio = engine.synthesize(TEXT, rose, SynthesisParams(seed=1))

    own, other = engine.speaker_similarity(audio, rose), engine.speaker_similarity(audio, basil)

    assert isinstance(own, float) and isinstance(other, float)
    assert own == pytest.approx(1.0, abs=1e-3)
    assert other == pytest.approx(-1.0, abs=1e-3)


def test_the_take_is_resampled_to_the_voice_encoders_16_khz_as_the_reference_was(fake, engine):
    encoder = add_voice_encoder(fake)
    rose = embedded_voice(fake, 200.0)
    audio = engine.synthesize(TEXT, rose, SynthesisParams())

    engine.speaker_similarity(audio, rose)

    assert audio.sample_rate == SR
    assert encoder.calls == [(16000, round(len(audio.samples) * 16000 / SR))]


def test_in_low_vram_mode_the_bfloat16_voice_embedding_is_compared_in_float32(
    fake, tmp_path, model_dir
):
    engine = make_engine(tmp_path, model_dir, low_vram="on")
    add_voice_encoder(fake)
    rose = embedded_voice(fake, 200.0)
    rose.t3.to(dtype=torch.bfloat16)  # what prepare_voice does to a voice in this mode
    audio = engine.synthesize(TEXT, rose, SynthesisParams())

    score = engine.speaker_similarity(audio, rose)

    assert rose.t3.speaker_emb.dtype == torch.bfloat16  # the voice itself is left as it was
    assert isinstance(score, float)
    assert score == pytest.approx(1.0, abs=1e-2)


def test_a_model_without_a_voice_encoder_cannot_judge(fake, engine):
    rose = embedded_voice(fake, 200.0)
    audio = engine.synthesize(TEXT, rose, SynthesisParams())

    assert engine.speaker_similarity(audio, rose) is None


def test_a_take_the_encoder_cannot_embed_gets_no_score_instead_of_failing(fake, engine, caplog):
    add_voice_encoder(fake, error=ValueError("too short to embed"))
    rose = embedded_voice(fake, 200.0)
    audio = engine.synthesize(TEXT, rose, SynthesisParams())

    with caplog.at_level(logging.WARNING):
        assert engine.speaker_similarity(audio, rose) is None

    assert "too short to embed" in caplog.text


def test_empty_audio_gets_no_score(fake, engine):
    encoder = add_voice_encoder(fake)

    score = engine.speaker_similarity(Audio(np.zeros(0, np.float32), SR), embedded_voice(fake, 200))

    assert score is None
    assert encoder.calls == []

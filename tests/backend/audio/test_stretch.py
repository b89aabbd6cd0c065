"""Tests for backend/audio/stretch.py: length follows the rate, pitch stays put."""

from __future__ import annotations

import numpy as np
import pytest

from backend.audio.stretch import time_stretch

SR = 24000


def tone(hz: float = 220.0, seconds: float = 2.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def dominant_hz(samples: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sr)[spectrum.argmax()])


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.8, 1.25, 2.0, 4.0])
def test_output_length_is_input_length_divided_by_rate(rate: float) -> None:
    x = tone()
    y = time_stretch(x, SR, rate)
    assert y.dtype == np.float32
    assert len(y) == pytest.approx(len(x) / rate, rel=0.1)


def test_double_speed_halves_and_half_speed_doubles_the_duration() -> None:
    x = tone()
    assert len(time_stretch(x, SR, 2.0)) == pytest.approx(len(x) / 2, rel=0.05)
    assert len(time_stretch(x, SR, 0.5)) == pytest.approx(len(x) * 2, rel=0.05)


@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_pitch_of_a_220_hz_tone_is_preserved(rate: float) -> None:
    y = time_stretch(tone(220.0), SR, rate)
    assert dominant_hz(y) == pytest.approx(220.0, rel=0.03)


@pytest.mark.parametrize("sr", [16000, 22050, 44100, 48000])
def test_common_sample_rates_are_stretched(sr: int) -> None:
    x = tone(sr=sr)
    y = time_stretch(x, sr, 1.5)
    assert len(y) == pytest.approx(len(x) / 1.5, rel=0.05)
    assert dominant_hz(y, sr) == pytest.approx(220.0, rel=0.03)


def test_rate_one_returns_the_input_unchanged() -> None:
    x = tone()
    assert time_stretch(x, SR, 1.0) is x


def test_output_stays_within_full_scale() -> None:
    y = time_stretch(tone() * 2.0, SR, 1.5)
    assert np.abs(y).max() <= 1.0


@pytest.mark.parametrize("rate", [0.0, 0.2, 4.5, -1.0])
def test_rate_outside_quarter_to_four_raises(rate: float) -> None:
    with pytest.raises(ValueError):
        time_stretch(tone(), SR, rate)

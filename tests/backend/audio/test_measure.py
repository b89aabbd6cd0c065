"""backend.audio.measure against closed forms on a generated signal, and pyloudnorm itself."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pyloudnorm
import pytest

from backend.audio.measure import FLOOR_DB, Meter, measure

RATE = 16000
AMPLITUDE = 0.5
NOISE = 1e-4  # the quiet tone's amplitude: -83 dBFS RMS, under the speech threshold


def tone(seconds: float, amplitude: float, hz: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * hz * t)


def signal() -> np.ndarray:
    """0.75 s of a quiet tone, 5 s of a loud one, 2 s of the quiet tone again."""
    return np.concatenate(
        [tone(0.75, NOISE, 100.0), tone(5.0, AMPLITUDE, 440.0), tone(2.0, NOISE, 100.0)]
    )


def test_figures_match_their_closed_forms_on_a_tone_between_quiet_stretches():
    m = measure(signal(), RATE)
    assert m.seconds == pytest.approx(7.75)
    energy = 5.0 * AMPLITUDE**2 / 2 + 2.75 * NOISE**2 / 2
    assert m.rms_dbfs == pytest.approx(10 * math.log10(energy / 7.75), abs=0.01)
    assert m.peak_dbfs == pytest.approx(20 * math.log10(AMPLITUDE), abs=0.01)
    assert m.true_peak_dbtp == pytest.approx(20 * math.log10(AMPLITUDE), abs=0.05)
    assert m.noise_floor_dbfs == pytest.approx(20 * math.log10(NOISE / math.sqrt(2)), abs=0.1)
    assert m.head_seconds == pytest.approx(0.75, abs=0.01)
    assert m.tail_seconds == pytest.approx(2.0, abs=0.01)


def test_loudness_is_pyloudnorms_integrated_loudness():
    samples = signal()
    reference = pyloudnorm.Meter(RATE).integrated_loudness(samples)
    assert measure(samples, RATE).loudness_lufs == pytest.approx(reference, abs=0.01)


def test_fed_in_odd_blocks_a_meter_gives_the_figures_of_the_whole_signal():
    samples = signal()
    meter = Meter(RATE)
    for start in range(0, len(samples), 7919):
        meter.feed(samples[start : start + 7919])
    assert asdict(meter.result()) == pytest.approx(asdict(measure(samples, RATE)), abs=1e-6)


def test_true_peak_finds_the_peak_between_samples():
    # A quarter-rate sine sampled at 45 degrees never hits its crest: samples read 0.707 of it.
    t = np.arange(RATE) / RATE
    samples = 0.9 * np.sin(2 * np.pi * (RATE / 4) * t + np.pi / 4)
    m = measure(samples, RATE)
    assert m.peak_dbfs == pytest.approx(20 * math.log10(0.9 * math.sqrt(0.5)), abs=0.01)
    assert m.true_peak_dbtp == pytest.approx(20 * math.log10(0.9), abs=0.2)


def test_digital_silence_reads_the_floor_and_has_no_loudness():
    m = measure(np.zeros(RATE), RATE)
    assert (m.rms_dbfs, m.noise_floor_dbfs, m.peak_dbfs) == (FLOOR_DB, FLOOR_DB, FLOOR_DB)
    assert m.loudness_lufs is None
    assert (m.head_seconds, m.tail_seconds) == (1.0, 0.0)

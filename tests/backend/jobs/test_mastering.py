"""backend.jobs.mastering (and backend.audio.mastering's DSP): a generated narration that breaks
every store rule passes them all once mastered, and its chapter markers move with the audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from backend.jobs.mastering import master_in_place
from backend.jobs.narration_parts import meters

RATE = 22050


def speech(seconds: float, seed: int) -> np.ndarray:
    """Syllable-like bursts at three per second over a faint hiss (-51 dBFS)."""
    t = np.arange(round(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 2
    voiced = 0.9 * envelope * np.sin(2 * np.pi * 200 * t) * (1 + 0.5 * np.sin(2 * np.pi * 1300 * t))
    return voiced + 0.004 * np.random.default_rng(seed).standard_normal(len(t))


def narration(tmp_path):
    """Two chapters, loud, hissy, with no room tone: every rule fails."""
    first, second = np.clip(speech(6.0, 1), -1, 1), np.clip(speech(9.0, 2), -1, 1)
    path = tmp_path / "narration.wav"
    sf.write(path, np.concatenate([first, second]), RATE, "PCM_16")
    chapters = [
        {"title": "One", "start_seconds": 0.0, "scene": 1},
        {"title": "Two", "start_seconds": 6.0, "scene": 4},
    ]
    return path, chapters


def figures(path, chapters):
    _, fed, _ = meters(path, chapters)
    return [meter.result() for meter in fed]


def test_a_narration_that_breaks_every_rule_passes_them_all_once_mastered(tmp_path):
    path, chapters = narration(tmp_path)
    before = figures(path, chapters)
    assert all(m.rms_dbfs > -18 and m.true_peak_dbtp > -3 and m.head_seconds < 0.5 for m in before)
    assert all(m.noise_floor_dbfs > -60 for m in before)

    seconds, moved, _ = master_in_place(path, chapters)

    assert sf.info(path).duration == seconds
    for m in figures(path, moved):
        assert -23 <= m.rms_dbfs <= -18, m
        assert m.true_peak_dbtp <= -3, m
        assert m.noise_floor_dbfs <= -60, m
        assert 0.5 <= m.head_seconds <= 1.0, m
        assert 1.0 <= m.tail_seconds <= 5.0, m


def test_chapter_markers_stay_where_each_chapter_starts_and_shift_follows_the_audio(tmp_path):
    path, chapters = narration(tmp_path)
    original, _ = sf.read(path)
    _, moved, shift = master_in_place(path, chapters)
    mastered, _ = sf.read(path)

    assert [c["title"] for c in moved] == ["One", "Two"] and moved[0]["start_seconds"] == 0.0
    # The second chapter's marker is its head room tone's first sample: silence there, then
    # its first speech 0.75 s later, where shift() puts the old start.
    start = round(moved[1]["start_seconds"] * RATE)
    assert not np.any(mastered[start : start + round(0.7 * RATE)])
    assert shift(6.0) - moved[1]["start_seconds"] == pytest.approx(0.75, abs=0.001)
    # shift() maps a loud moment to the same audio: the waveforms correlate there.
    old, new = round(7.0 * RATE), round(shift(7.0) * RATE)
    a, b = original[old : old + 2000], mastered[new : new + 2000]
    assert np.corrcoef(a, b)[0, 1] > 0.95

"""Tests for backend/audio/assemble.py: lengths add up and boundaries do not click."""

from __future__ import annotations

import numpy as np
import pytest

from backend.audio.assemble import join
from backend.core.speech import Audio, Mark

SR = 24000


def sine(seconds: float, phase: float = 0.0, sr: int = SR) -> Audio:
    t = np.arange(int(sr * seconds)) / sr
    return Audio((0.5 * np.sin(2 * np.pi * 220 * t + phase)).astype(np.float32), sr)


def largest_step(samples: np.ndarray) -> float:
    return float(np.abs(np.diff(samples)).max())


def test_length_is_the_sum_of_the_parts_plus_one_pause_per_boundary() -> None:
    parts = [sine(0.5), sine(0.3), sine(0.7)]
    joined = join(parts, crossfade_ms=10, pause_ms=100)
    assert len(joined.samples) == sum(len(p.samples) for p in parts) + 2 * int(SR * 0.1)
    assert joined.sample_rate == SR
    assert joined.samples.dtype == np.float32


def test_the_pause_between_parts_is_silence() -> None:
    joined = join([sine(0.5), sine(0.5)], crossfade_ms=10, pause_ms=200)
    start = len(sine(0.5).samples)
    assert np.all(joined.samples[start : start + int(SR * 0.2)] == 0)


@pytest.mark.parametrize("pause_ms", [0, 150])
def test_boundaries_have_no_discontinuity_spikes(pause_ms: float) -> None:
    # Parts that end and begin mid-swing (0.503 s of 220 Hz; a cosine start at full amplitude).
    parts = [sine(0.503), sine(0.4, phase=np.pi / 2), sine(0.3, phase=np.pi / 2)]
    within = max(largest_step(p.samples) for p in parts)
    hard_cut = largest_step(np.concatenate([p.samples for p in parts]))
    assert hard_cut > 5 * within  # the test signal really would click without fades

    joined = join(parts, crossfade_ms=10, pause_ms=pause_ms)
    assert largest_step(joined.samples) <= within * 1.05


def test_outer_start_and_end_are_not_faded() -> None:
    first, second = sine(0.5, phase=np.pi / 2), sine(0.5, phase=np.pi / 2)
    joined = join([first, second], crossfade_ms=10, pause_ms=50)
    assert joined.samples[0] == first.samples[0]
    assert joined.samples[-1] == second.samples[-1]


def test_inputs_are_not_modified() -> None:
    parts = [sine(0.2, phase=1.0), sine(0.2, phase=1.0)]
    before = [p.samples.copy() for p in parts]
    join(parts, crossfade_ms=20, pause_ms=50)
    for part, original in zip(parts, before, strict=True):
        assert np.array_equal(part.samples, original)


def test_parts_shorter_than_the_fade_are_joined_without_error() -> None:
    parts = [sine(0.001), sine(0.0), sine(0.002)]
    joined = join(parts, crossfade_ms=50, pause_ms=10)
    assert len(joined.samples) == sum(len(p.samples) for p in parts) + 2 * int(SR * 0.01)


def test_a_single_part_is_returned_unchanged() -> None:
    part = sine(0.5)
    assert join([part], crossfade_ms=10, pause_ms=100) is part


def test_an_empty_list_raises_value_error() -> None:
    with pytest.raises(ValueError):
        join([], crossfade_ms=10, pause_ms=100)


def test_parts_at_different_sample_rates_raise_value_error() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        join([sine(0.5), sine(0.5, sr=22050)], crossfade_ms=10, pause_ms=100)


def test_negative_durations_raise_value_error() -> None:
    with pytest.raises(ValueError):
        join([sine(0.1), sine(0.1)], crossfade_ms=-1, pause_ms=100)
    with pytest.raises(ValueError):
        join([sine(0.1), sine(0.1)], crossfade_ms=10, pause_ms=-5)


def test_joined_marks_move_to_where_each_part_lies_in_the_whole() -> None:
    first, second = sine(1.0), sine(0.5)
    first.marks = (Mark(0.0, 0.4, "A."), Mark(0.5, 1.0, "B."))
    second.marks = (Mark(0.0, 0.5, "C."),)
    joined = join([first, second], crossfade_ms=10, pause_ms=250)
    assert [(m.text, m.start, m.end) for m in joined.marks] == [
        ("A.", 0.0, 0.4),
        ("B.", 0.5, 1.0),
        ("C.", 1.25, 1.75),
    ]


def test_a_part_without_marks_leaves_the_whole_without_marks() -> None:
    first = sine(1.0)
    first.marks = (Mark(0.0, 1.0, "A."),)
    assert join([first, sine(0.5)], crossfade_ms=10, pause_ms=250).marks is None

"""backend.audio.rules: each store rule at its edges (limits are inclusive)."""

from __future__ import annotations

import pytest

from backend.audio.measure import Measurement
from backend.audio.rules import RULES, check

PASSING = Measurement(
    seconds=60.0,
    loudness_lufs=-19.0,
    rms_dbfs=-20.0,
    peak_dbfs=-4.0,
    true_peak_dbtp=-3.5,
    noise_floor_dbfs=-70.0,
    head_seconds=0.75,
    tail_seconds=2.0,
)


def results(**figures: float) -> dict[str, bool]:
    return {
        c.rule.name: c.passed for c in check(PASSING.__class__(**{**PASSING.__dict__, **figures}))
    }


def test_a_narration_inside_every_window_passes_every_rule():
    assert results() == {rule.name: True for rule in RULES}


@pytest.mark.parametrize(
    ("field", "value", "rule", "passed"),
    [
        ("rms_dbfs", -23.0, "rms", True),
        ("rms_dbfs", -23.01, "rms", False),
        ("rms_dbfs", -18.0, "rms", True),
        ("rms_dbfs", -17.99, "rms", False),
        ("true_peak_dbtp", -3.0, "true_peak", True),
        ("true_peak_dbtp", -2.99, "true_peak", False),
        ("noise_floor_dbfs", -60.0, "noise_floor", True),
        ("noise_floor_dbfs", -59.99, "noise_floor", False),
        ("head_seconds", 0.5, "head_room_tone", True),
        ("head_seconds", 0.49, "head_room_tone", False),
        ("head_seconds", 1.0, "head_room_tone", True),
        ("head_seconds", 1.01, "head_room_tone", False),
        ("tail_seconds", 1.0, "tail_room_tone", True),
        ("tail_seconds", 0.99, "tail_room_tone", False),
        ("tail_seconds", 5.0, "tail_room_tone", True),
        ("tail_seconds", 5.01, "tail_room_tone", False),
    ],
)
def test_each_rule_holds_at_its_limit_and_fails_just_past_it(field, value, rule, passed):
    outcome = results(**{field: value})
    assert outcome[rule] is passed
    assert all(ok for name, ok in outcome.items() if name != rule)

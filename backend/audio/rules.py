"""The common audiobook-store rules a narration is checked against, one stretch at a time:
RMS between -23 and -18 dBFS, true peak at most -3 dBTP, noise floor at most -60 dBFS, 0.5-1 s
of room tone at the head and 1-5 s at the tail. Limits are inclusive."""

from __future__ import annotations

from dataclasses import dataclass

from backend.audio.measure import Measurement


@dataclass(frozen=True)
class Rule:
    """One rule: the Measurement field it reads and its inclusive limits (None: no limit)."""

    name: str
    field: str
    low: float | None
    high: float | None
    unit: str

    def passes(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


RULES: tuple[Rule, ...] = (
    Rule("rms", "rms_dbfs", -23.0, -18.0, "dBFS"),
    Rule("true_peak", "true_peak_dbtp", None, -3.0, "dBTP"),
    Rule("noise_floor", "noise_floor_dbfs", None, -60.0, "dBFS"),
    Rule("head_room_tone", "head_seconds", 0.5, 1.0, "s"),
    Rule("tail_room_tone", "tail_seconds", 1.0, 5.0, "s"),
)


@dataclass(frozen=True)
class Check:
    """A rule applied to one measured value."""

    rule: Rule
    value: float
    passed: bool


def check(measurement: Measurement) -> list[Check]:
    """Every rule of RULES applied to `measurement`, in RULES' order."""
    checks = []
    for rule in RULES:
        value = float(getattr(measurement, rule.field))
        checks.append(Check(rule, value, rule.passes(value)))
    return checks

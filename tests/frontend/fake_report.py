"""The FakeApi's mastering report: GET /jobs/{id}/report's shape, one part per chapter (or one
for a job without chapters), passing every rule when the job asked for audiobook mastering."""

from __future__ import annotations

from typing import Any

RULES = [
    {"rule": "rms", "low": -23.0, "high": -18.0, "unit": "dBFS"},
    {"rule": "true_peak", "low": None, "high": -3.0, "unit": "dBTP"},
    {"rule": "noise_floor", "low": None, "high": -60.0, "unit": "dBFS"},
    {"rule": "head_room_tone", "low": 0.5, "high": 1.0, "unit": "s"},
    {"rule": "tail_room_tone", "low": 1.0, "high": 5.0, "unit": "s"},
]
MASTERED = {"rms": -20.1, "true_peak": -4.2, "noise_floor": -120.0,
            "head_room_tone": 0.75, "tail_room_tone": 2.0}  # fmt: skip
STANDARD = {**MASTERED, "rms": -21.5, "true_peak": -1.2, "head_room_tone": 0.05,
            "tail_room_tone": 0.2}  # fmt: skip


def report(job: dict[str, Any]) -> dict[str, Any]:
    mastering = job["params"].get("mastering", "standard")
    values = MASTERED if mastering == "audiobook" else STANDARD
    chapters = [c for c in job.get("chapters", []) if "start_seconds" in c] or [
        {"title": None, "start_seconds": 0.0}
    ]
    parts = []
    for chapter in chapters:
        checks = [
            {"rule": r["rule"], "value": values[r["rule"]], "passed": _passes(r, values[r["rule"]])}
            for r in RULES
        ]
        parts.append(
            {
                "title": chapter["title"],
                "start_seconds": chapter["start_seconds"],
                "seconds": 12.0,
                "loudness_lufs": -19.0,
                "rms_dbfs": values["rms"],
                "peak_dbfs": values["true_peak"] - 0.3,
                "true_peak_dbtp": values["true_peak"],
                "noise_floor_dbfs": values["noise_floor"],
                "head_seconds": values["head_room_tone"],
                "tail_seconds": values["tail_room_tone"],
                "checks": checks,
                "passed": all(c["passed"] for c in checks),
            }
        )
    passed = all(p["passed"] for p in parts)
    return {"job_id": job["id"], "mastering": mastering, "passed": passed, "rules": RULES,
            "parts": parts}  # fmt: skip


def _passes(rule: dict[str, Any], value: float) -> bool:
    return (rule["low"] is None or value >= rule["low"]) and (
        rule["high"] is None or value <= rule["high"]
    )

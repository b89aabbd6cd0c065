"""A finished narration's mastering report: each part's figures (backend.audio.measure) checked
against the audiobook-store rules (backend.audio.rules), computed once and cached beside the
narration (report.json, written atomically). The cache names the WAV's size and modification
time and the chapter markers it was made for; a re-assembled narration makes it stale."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backend.audio.rules import RULES, check
from backend.core import atomic
from backend.jobs.narration_parts import meters

REPORT_FILE = "report.json"
_FIGURES = (
    "loudness_lufs",
    "rms_dbfs",
    "peak_dbfs",
    "true_peak_dbtp",
    "noise_floor_dbfs",
    "head_seconds",
    "tail_seconds",
)


def mastering_report(job: dict[str, Any]) -> dict[str, Any]:
    """The report of a job whose narration is assembled (job["final_audio_path"] is set):
    {job_id, mastering, passed, rules, parts: [{title, start_seconds, seconds, figures...,
    checks: [{rule, value, passed}], passed}]}. Cached; recomputed when the narration changed."""
    wav = Path(job["final_audio_path"])
    stat = wav.stat()
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "chapters": job["chapters"]}
    cache = wav.with_name(REPORT_FILE)
    cached = _load(cache)
    if cached is not None and cached.get("key") == key:
        return cached["report"]
    report = _compute(job, wav)
    atomic.write_text(cache, json.dumps({"key": key, "report": report}))
    return report


def _compute(job: dict[str, Any], wav: Path) -> dict[str, Any]:
    cut, fed, rate = meters(wav, job["chapters"])
    rows = []
    for part, meter in zip(cut, fed, strict=True):
        measured = meter.result()
        figures = asdict(measured)
        checks = [
            {"rule": c.rule.name, "value": round(c.value, 3), "passed": c.passed}
            for c in check(measured)
        ]
        rows.append(
            {
                "title": part.title,
                "start_seconds": round(part.start / rate, 3),
                "seconds": round(measured.seconds, 3),
                **{name: _round(figures[name]) for name in _FIGURES},
                "checks": checks,
                "passed": all(c["passed"] for c in checks),
            }
        )
    return {
        "job_id": job["id"],
        "mastering": job["params"].get("mastering", "standard"),
        "passed": all(row["passed"] for row in rows),
        "rules": [{"rule": r.name, "low": r.low, "high": r.high, "unit": r.unit} for r in RULES],
        "parts": rows,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _load(cache: Path) -> dict[str, Any] | None:
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None

"""The mastering report's answer (GET /jobs/{id}/report)."""

from __future__ import annotations

from pydantic import Field

from backend.api.schemas import ResponseBody


class ReportRule(ResponseBody):
    """One audiobook-store rule: inclusive limits (null: none) on one figure."""

    rule: str = Field(description="rms, true_peak, noise_floor, head_room_tone, tail_room_tone")
    low: float | None
    high: float | None
    unit: str


class ReportCheck(ResponseBody):
    rule: str
    value: float
    passed: bool


class ReportPart(ResponseBody):
    """One chapter (or the opening before the first, or a narration without chapters)."""

    title: str | None = Field(description="The chapter's title; null for a part without one.")
    start_seconds: float
    seconds: float
    loudness_lufs: float | None = Field(
        description="Integrated loudness (ITU-R BS.1770-4); null when no block passes the gates."
    )
    rms_dbfs: float
    peak_dbfs: float = Field(description="The largest sample.")
    true_peak_dbtp: float = Field(description="4x oversampled (BS.1770-4 Annex 2).")
    noise_floor_dbfs: float = Field(
        description="RMS of the quietest tenth of the 100 ms windows; -120 is digital silence."
    )
    head_seconds: float = Field(description="Room tone before the first 10 ms above -50 dBFS.")
    tail_seconds: float = Field(description="Room tone after the last 10 ms above -50 dBFS.")
    checks: list[ReportCheck]
    passed: bool


class JobReport(ResponseBody):
    job_id: str
    mastering: str = Field(description="The job's mastering preset: standard or audiobook.")
    passed: bool = Field(description="Every part passes every rule.")
    rules: list[ReportRule]
    parts: list[ReportPart]

"""The fake server's memory figures and limits, and what an unload gives back (in bytes)."""

from __future__ import annotations

from typing import Any

LIMITS: dict[str, Any] = {
    "max_upload_bytes": 52428800,
    "max_upload_mb": 50,
    "max_text_chars": 5000,
    "max_job_chars": 2000000,
    "voice_min_seconds": 3.0,
    "voice_max_seconds": 60.0,
    "max_pdf_pages": 2000,
}
MEMORY: dict[str, Any] = {
    "rss_bytes": 170885120,
    "vram_allocated_bytes": None,
    "vram_reserved_bytes": None,
    "vram_free_bytes": None,  # the whole device's, on a GPU
    "vram_total_bytes": None,
    "ram_total_bytes": 25276502016,
    "ram_available_bytes": 24695967744,
}
READING_KEYS = (
    "rss_bytes",
    "host_rss_bytes",
    "vram_device_used_bytes",
    "vram_allocated_bytes",
    "vram_reserved_bytes",
)  # /model/unload's


def unloaded(
    memory: dict[str, Any], host: dict[str, Any] | None, was_loaded: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """POST /model/unload's before, after and freed, and the engine host after it."""
    before = {key: memory.get(key) for key in READING_KEYS}
    after = dict(before)
    if host is not None and was_loaded:  # the host ends, and all it held
        before["host_rss_bytes"] = host["rss_bytes"]
        gone = ("host_rss_bytes", "vram_allocated_bytes", "vram_reserved_bytes")
        after |= {key: 0 for key in gone if before[key] is not None}
        host = {**host, "pid": None, "rss_bytes": None, "last_exit": "unloaded"}
    freed = {
        key: None if before[key] is None or after[key] is None else before[key] - after[key]
        for key in before
    }
    return {"before": before, "after": after, "freed": freed}, host

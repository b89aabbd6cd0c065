"""The states of the model the manager owns, and how it stamps a moment in what it reports."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


class ModelState(StrEnum):
    UNLOADED = "unloaded"
    LOADING = "loading"
    READY = "ready"
    UNLOADING = "unloading"
    ERROR = "error"


def iso(epoch: float | None) -> str | None:
    """A Unix time as ISO 8601 in UTC (None for None)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()

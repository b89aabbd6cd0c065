"""Voice-library records as the server keeps them (GET /voices lists these)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.frontend import media

ADDED = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def record(name: str, seconds: float, order: int) -> dict[str, Any]:
    """The public metadata of a new voice: id = the name's slug plus 8 hex digits."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "voice"
    voice_id = f"{slug}-{secrets.token_hex(4)}"
    return {
        "original_sample_rate": media.RATE,  # what the clip's validation measured
        "channels": 1,
        "format": "wav",
        "trimmed_seconds": 0.0,
        "gain_db": 0.0,
        "id": voice_id,
        "name": name,
        "created_at": (ADDED + timedelta(minutes=order)).isoformat(),
        "duration_seconds": round(seconds, 3),
        "sample_rate": media.RATE,
        "source_filename": f"{name}.wav",
        "path": f"{voice_id}/reference.wav",
    }


def current_warning(current: str | None, can_clone: bool) -> str | None:
    """The server's words for a current voice the engine cannot speak (it cannot clone)."""
    if current is None or can_clone:
        return None
    return (
        f"The current voice {current!r} cannot be spoken (this engine cannot clone); "
        "the built-in voice spoke instead. Choose another with POST /load_voice or clear it "
        "with DELETE /load_voice."
    )

"""Voice-library records as the server keeps them (GET /voices lists these)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from frontend.api_client import ApiError
from tests.frontend import media, server_errors

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


class FakeVoiceLookup:
    """Mixed into FakeApi: its library voices found, stored and resolved as the server does."""

    library: list[dict[str, Any]]
    clips: dict[str, bytes]
    engine_voices: list[str]
    current: str | None

    def _clip_of(self, voice_id: str | None) -> tuple[str, float] | None:
        """A library voice's id and the seconds of its clip (None: not a library voice)."""
        found = [(v["id"], v["duration_seconds"]) for v in self.library if v["id"] == voice_id]
        return found[0] if found else None

    def _store_voice(self, name: str, clip: bytes, seconds: float) -> dict[str, Any]:
        voice = record(name, seconds, order=len(self.library))
        self.library.append(voice)
        self.clips[voice["id"]] = clip
        return voice

    def _voice(self, voice_id: str, unknown=server_errors.voice_not_found) -> dict[str, Any]:
        for voice in self.library:
            if voice["id"] == voice_id:
                return voice
        raise unknown(voice_id)

    def _unknown(self, voice_id: str) -> ApiError:
        available = ["builtin", *self.engine_voices] + [v["id"] for v in self.library]
        return server_errors.unknown_voice(voice_id, available)

    def _resolve_voice(self, voice: str | None, can_clone: bool) -> str | None:
        """The voice id spoken in (None: the built-in one). No voice: the current one, passed
        over when the model cannot clone (the server's X-Voice-Warning case)."""
        if not voice:
            return self.current if can_clone else None
        if voice == "builtin":
            return None
        if voice in self.engine_voices:
            return voice
        found = self._voice(voice, unknown=self._unknown)["id"]
        if not can_clone:
            raise server_errors.cloning_unavailable()
        return found

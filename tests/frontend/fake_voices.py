"""Voice-library records as the server keeps them (GET /voices lists these), and their edits."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.core import models
from frontend.api_client import ApiError
from frontend.api_protocol import VoiceBody, VoiceChanges
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
    """Mixed into FakeApi (whose `_enter` it uses): its library voices found, stored, edited
    and resolved as the server does."""

    library: list[dict[str, Any]]
    clips: dict[str, bytes]
    engine_voices: list[str]
    current: str | None

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def update_voice(self, voice_id: str, changes: VoiceChanges) -> VoiceBody:
        self._enter("update_voice", voice_id=voice_id, changes=dict(changes))
        checked = _checked_changes(dict(changes))
        voice = self._voice(voice_id)
        voice.update({key: value for key, value in checked.items() if value is not None})
        if checked.get("language", "") is None:
            voice.pop("language", None)
        return dict(voice)

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


def _checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The server's checks of a voice edit, in its order: the body's fields, that it changes
    something, the language, the name. What is left to change (a None language: clear it)."""
    if unknown := sorted(set(changes) - {"name", "language"}):
        raise server_errors.invalid_request(
            f"The request is not valid: {unknown[0]}: Extra inputs are not permitted."
        )
    if len(changes.get("name") or "") > 100:
        raise server_errors.invalid_request(
            "The request is not valid: name: String should have at most 100 characters."
        )
    if len(changes.get("language") or "") > 10:
        raise server_errors.invalid_request(
            "The request is not valid: language: String should have at most 10 characters."
        )
    if changes.get("name") is None:
        changes.pop("name", None)
    if not changes:
        raise server_errors.voice_unchanged()
    if changes.get("language") is not None:
        changes["language"] = changes["language"].strip().lower()
        if changes["language"] not in models.LANGUAGES:
            codes = list(models.LANGUAGES)
            raise server_errors.unsupported_language(
                changes["language"], "A voice", codes, True, codes
            )
    if "name" in changes:
        changes["name"] = " ".join(changes["name"].split())
        if not changes["name"]:
            raise server_errors.invalid_request("A voice name has 1-100 characters, not 0.")
    return changes

"""Voice resolution: turn the `voice` a client sent into a library voice, one of the engine's own
named voices, or the built-in voice.

Order: the explicit voice (alias, `builtin`, an engine voice name, library id or library name),
else the server's current voice, else the engine's built-in voice; none of these is a clear 400.
An explicit voice the engine cannot speak is a 400 too. A current voice it cannot speak (an
uploaded voice under Piper after a fall-back from Chatterbox, a voice whose clip is gone) is
stale: it is passed over with a warning and the built-in voice speaks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.core.errors import (
    AppError,
    NoVoiceLoaded,
    UnknownVoiceId,
    VoiceCloningUnavailable,
    VoiceNotFound,
)
from backend.core.speech import Capabilities, EngineVoice, VoiceRef
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)

BUILTIN = "builtin"
Voice = VoiceRef | EngineVoice | None  # None: the engine's built-in voice


@dataclass(frozen=True)
class Resolved:
    """The voice to speak with and, when a stale current voice was passed over, why (ASCII, fit
    for a header)."""

    ref: Voice
    warning: str | None = None

    @property
    def voice_id(self) -> str:
        return voice_id(self.ref)


def warning_headers(resolved: Resolved) -> dict[str, str]:
    """{"X-Voice-Warning": ...} when a stale current voice was passed over, else {}."""
    if resolved.warning is None:
        return {}
    return {"X-Voice-Warning": resolved.warning.encode("ascii", "replace").decode()}


def voice_id(ref: Voice) -> str:
    """The id a response (X-Voice) or a job records for a resolved voice."""
    return ref.voice_id if ref is not None else BUILTIN


def available_voices(store: VoiceStore, caps: Capabilities, aliases: dict[str, str]) -> list[str]:
    names = [BUILTIN] if caps.has_builtin_voice else []
    names += list(caps.voices)
    names += [v["id"] for v in store.list()]
    return names + sorted(aliases)


def resolve(
    requested: str | None, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> Resolved:
    """The voice to speak with, and a warning if the current voice had to be passed over."""
    if requested is None or not requested.strip():
        return _current(store, caps)

    target = aliases.get(requested, requested).strip()
    if target == BUILTIN and caps.has_builtin_voice:
        return Resolved(None)
    if target in caps.voices:
        return Resolved(EngineVoice(target))
    found = _find(store, target)
    if found is None:
        raise unknown_voice(requested, store, caps, aliases)
    return Resolved(_checked(store.ref(found), caps))


def resolve_voice(
    requested: str | None, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> Voice:
    """`resolve` for callers without a response header to carry the warning: it is logged."""
    resolved = resolve(requested, store, caps, aliases)
    if resolved.warning:
        log.warning("%s", resolved.warning)
    return resolved.ref


def stored_voice(voice: str | None, store: VoiceStore, caps: Capabilities) -> Voice:
    """The voice a job recorded (`voice_id` of what `resolve` gave): `builtin`, an engine voice
    or a library id. UnknownVoiceId when it is none of these any more."""
    if voice in (None, BUILTIN):
        return None
    if voice in caps.voices:
        return EngineVoice(voice)
    return store.ref(voice)


def unknown_voice(
    requested: str, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> VoiceNotFound:
    """The 400 for a voice nobody has, listing the ones that exist."""
    names = available_voices(store, caps, aliases)
    return VoiceNotFound(
        f"Unknown voice '{requested}'. Available voices: {', '.join(names)}.",
        available_voices=names,
    )


def _current(store: VoiceStore, caps: Capabilities) -> Resolved:
    current = store.current()
    if current is None:
        if not caps.has_builtin_voice:
            raise NoVoiceLoaded()
        return Resolved(None)
    try:
        ref = _checked(store.ref(current), caps)
        if not ref.audio_path.is_file():
            raise UnknownVoiceId(f"its reference clip {ref.audio_path.name} is missing")
    except AppError as error:
        if not caps.has_builtin_voice:
            raise
        reason = "this engine cannot clone" if not caps.can_clone else error.message
        return Resolved(
            None,
            f"The current voice {current!r} cannot be spoken ({reason}); the built-in voice "
            "spoke instead. Choose another with POST /load_voice or clear it with "
            "DELETE /load_voice.",
        )
    return Resolved(ref)


def _find(store: VoiceStore, target: str) -> str | None:
    voices = store.list()
    for voice in voices:
        if voice["id"] == target:
            return voice["id"]
    by_name = [v["id"] for v in voices if v.get("name", "").casefold() == target.casefold()]
    return by_name[0] if len(by_name) == 1 else None


def _checked(ref: VoiceRef, caps: Capabilities) -> VoiceRef:
    if not caps.can_clone:
        raise VoiceCloningUnavailable(
            f"The current engine (Piper) cannot speak in the uploaded voice '{ref.voice_id}'."
        )
    return ref

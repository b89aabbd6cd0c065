"""Voice resolution: turn the `voice` a client sent into a library voice or the built-in voice.

Order: the explicit voice (alias, library id or library name), else the server's current voice,
else the engine's built-in voice; none of these is a clear 400.
"""

from __future__ import annotations

from backend.core.errors import NoVoiceLoaded, VoiceCloningUnavailable, VoiceNotFound
from backend.engines.base import Capabilities, VoiceRef
from backend.voices.store import VoiceStore

BUILTIN = "builtin"


def available_voices(store: VoiceStore, caps: Capabilities, aliases: dict[str, str]) -> list[str]:
    names = [BUILTIN] if caps.has_builtin_voice else []
    names += [v["id"] for v in store.list()]
    return names + sorted(aliases)


def resolve_voice(
    requested: str | None, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> VoiceRef | None:
    """The reference to speak with; None means the engine's built-in voice."""
    if requested is None or not requested.strip():
        voice_id = store.current()
        if voice_id is None:
            if not caps.has_builtin_voice:
                raise NoVoiceLoaded()
            return None
        return _checked(store.ref(voice_id), caps)

    target = aliases.get(requested, requested).strip()
    if target == BUILTIN and caps.has_builtin_voice:
        return None
    voice_id = _find(store, target)
    if voice_id is None:
        raise unknown_voice(requested, store, caps, aliases)
    return _checked(store.ref(voice_id), caps)


def unknown_voice(
    requested: str, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> VoiceNotFound:
    """The 400 for a voice nobody has, listing the ones that exist."""
    names = available_voices(store, caps, aliases)
    return VoiceNotFound(
        f"Unknown voice '{requested}'. Available voices: {', '.join(names)}.",
        available_voices=names,
    )


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

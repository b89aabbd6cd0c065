"""What a model does with a request, for the controls that depend on it: its tags, its
languages, the knobs it ignores, the shortest reference clip it takes, whether it re-voices.

/health reports these for the loaded model only. The studio's controls follow the model the user
has chosen, which may not be loaded yet, so each model's report is remembered for the session
once seen, and until then the studio's own table of the Chatterbox family stands in (what each
member's documentation states; a Turbo checkpoint's tag list is read from its files, so it is
known only once the server has loaded it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from frontend.languages import NAMES

SEEN_KEY = "model_traits_seen"  # key -> Traits the server reported, this session


@dataclass(frozen=True)
class Traits:
    """`tags` None: the model speaks bracketed tags, but which is not known yet."""

    key: str
    title: str
    tags: tuple[str, ...] | None = ()
    languages: tuple[str, ...] = ("en",)
    ignored_params: tuple[str, ...] = ()
    min_reference_seconds: float = 0.0
    can_convert_voice: bool = False
    reported: bool = field(default=False, compare=False)  # from /health, not the table


FAMILY = {
    "original": Traits("original", "Chatterbox", can_convert_voice=True),
    "turbo": Traits(
        "turbo",
        "Chatterbox Turbo",
        tags=None,
        ignored_params=("cfg_weight", "exaggeration"),
        min_reference_seconds=5.0,
        can_convert_voice=True,
    ),
    "multilingual": Traits(
        "multilingual", "Chatterbox Multilingual", languages=tuple(NAMES), can_convert_voice=True
    ),
    "piper": Traits("piper", "Piper"),
}


def remember(health: dict[str, Any]) -> None:
    """Keep what /health says of its loaded model, for when the user chooses it again."""
    key = health.get("model")
    if not key or "languages" not in health:
        return
    seen = st.session_state.setdefault(SEEN_KEY, {})
    seen[key] = Traits(
        key,
        title_of(health, key),
        tags=tuple(health.get("tags") or ()),
        languages=tuple(health.get("languages") or ("en",)),
        ignored_params=tuple(health.get("ignored_params") or ()),
        min_reference_seconds=float(health.get("min_reference_seconds") or 0.0),
        can_convert_voice=bool(health.get("can_convert_voice")),
        reported=True,
    )


def traits_of(key: str | None, health: dict[str, Any] | None) -> Traits:
    """The traits of model `key` (None: the loaded one): the server's latest report of it, else
    the family table's, else nothing special."""
    health = health or {}
    key = key or health.get("model")
    if not key:
        return Traits("", health.get("engine", ""))
    seen = st.session_state.get(SEEN_KEY, {}).get(key)
    if seen is not None:
        return seen
    known = FAMILY.get(key)
    if known is not None:
        return replace(known, title=title_of(health, key, known.title))
    return Traits(key, title_of(health, key))


def title_of(health: dict[str, Any] | None, key: str, fallback: str | None = None) -> str:
    """The title /health's `models` gives `key` (its key when it lists none)."""
    for entry in (health or {}).get("models") or ():
        if entry.get("key") == key:
            return entry.get("title") or key
    return fallback or key


def can_convert_any(health: dict[str, Any] | None) -> bool:
    """Whether some model of the server can re-voice a recording: the loaded one says so, or
    the server lists a Chatterbox model (each re-voices with its S3Gen)."""
    health = health or {}
    if health.get("can_convert_voice"):
        return True
    keys = [entry.get("key") for entry in health.get("models") or ()]
    return any(traits_of(key, health).can_convert_voice for key in keys if key)


def tag_speaker(health: dict[str, Any] | None) -> str | None:
    """The title of the server's first model that speaks bracketed tags (None: it has none)."""
    for entry in (health or {}).get("models") or ():
        if traits_of(entry.get("key"), health).tags != ():
            return entry.get("title") or entry.get("key")
    return None

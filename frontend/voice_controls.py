"""Choosing a voice and the delivery settings, shared by Narrate and Quick speak."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

BUILTIN = "builtin"
HELP = {
    "exaggeration": "Emotion intensity. 0.5 is neutral; higher is more dramatic and often faster.",
    "cfg_weight": (
        "How closely pacing follows the reference voice. Lower (about 0.3) slows a fast "
        "speaker down; 0.5 suits most voices."
    ),
    "temperature": "Variety between takes. Lower is steadier, higher is livelier but riskier.",
    "rate": "Speaking speed; 1.0 is the voice's natural pace. Pitch is kept.",
    "seed": "The same seed, text and settings give the same take. 0 picks a new one each time.",
}


def voice_choice(voices: dict[str, Any], key: str) -> str | None:
    """A select box of usable voices; returns the voice to send (None means the server's own).

    The built-in voice, then the engine's own named voices (Piper voice models, usable whether
    or not the engine clones), then the library when the engine can clone.
    """
    options: list[str] = []
    labels = {BUILTIN: "Built-in voice"}
    if voices.get("builtin_available", True):
        options.append(BUILTIN)
    usable = list(voices.get("engine_voices", []))
    if voices.get("can_clone"):
        usable += voices.get("voices", [])
    for voice in usable:
        options.append(voice["id"])
        labels[voice["id"]] = voice.get("name") or voice["id"]
    if not options:
        st.warning("No voice is available yet: add one on the Voices page.")
        return None
    current = voices.get("current")
    index = options.index(current) if current in options else 0
    choice = st.selectbox(
        "Voice",
        options,
        index=index,
        format_func=lambda value: labels.get(value, value),
        key=f"{key}_voice",
        help="Add or record voices on the Voices page.",
    )
    if stale_current(voices):
        st.caption(
            f"The current voice “{current_name(voices)}” cannot be used with this engine "
            "(it cannot clone), so another is chosen here. Clear it on the Voices page."
        )
    elif not voices.get("can_clone") and voices.get("voices"):
        st.caption(
            "Your library voices need the Chatterbox engine; the current engine reads with "
            "its own voices (see the Voices page)."
        )
    return choice


def current_name(voices: dict[str, Any]) -> str | None:
    """The current voice's name as the user gave it (its id if it has none); None if unset."""
    current = voices.get("current")
    if current is None:
        return None
    for voice in voices.get("voices", []) + voices.get("engine_voices", []):
        if voice["id"] == current:
            return voice.get("name") or current
    return current


def stale_current(voices: dict[str, Any]) -> bool:
    """Whether the server says it cannot speak the current voice (`current_warning`: Piper cannot
    clone, or the clip is gone); it passes such a voice over for the built-in voice."""
    return bool(voices.get("current_warning"))


SLIDER_NAMES = {"exaggeration": "Exaggeration", "cfg_weight": "CFG weight"}


def delivery(
    engine: str | None, key: str, ignored: Sequence[str] = (), model: str = ""
) -> dict[str, Any]:
    """Speed, emotion, pacing, variety and seed, with defaults that suit most voices. The knobs
    in `ignored` (what /health's `ignored_params` lists for `model`) are neither shown nor sent."""
    params: dict[str, Any] = {}
    with st.expander("Delivery settings"):
        if engine == "piper":
            st.caption("The Piper engine follows Speed only; the other settings shape Chatterbox.")
        hidden = [SLIDER_NAMES[name] for name in SLIDER_NAMES if name in ignored]
        if hidden:
            pronoun = "it is" if len(hidden) == 1 else "they are"
            st.caption(
                f"{model or 'This model'} ignores {' and '.join(hidden)}, so {pronoun} hidden."
            )
        params["rate"] = st.slider(
            "Speed", 0.5, 2.0, 1.0, 0.05, key=f"{key}_rate", help=HELP["rate"]
        )
        if "exaggeration" not in ignored:
            params["exaggeration"] = st.slider(
                "Exaggeration", 0.0, 2.0, 0.5, 0.05, key=f"{key}_exag", help=HELP["exaggeration"]
            )
        if "cfg_weight" not in ignored:
            params["cfg_weight"] = st.slider(
                "CFG weight", 0.0, 1.0, 0.5, 0.05, key=f"{key}_cfg", help=HELP["cfg_weight"]
            )
        params["temperature"] = st.slider(
            "Temperature", 0.05, 2.0, 0.8, 0.05, key=f"{key}_temp", help=HELP["temperature"]
        )
        seed = st.number_input("Seed", 0, 2**32 - 1, 0, 1, key=f"{key}_seed", help=HELP["seed"])
    return {**params, "seed": int(seed) or None}

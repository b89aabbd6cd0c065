"""Which model speaks: the sidebar's picker over /health's `models`, the switch under way or
the last one, and the model the pages send with their next request.

The server keeps one model resident and switches when a request names another (unless
CHATTERBOX_MODEL_SWITCH=off), so choosing here changes nothing until the next request: Quick
speak, Narrate and Re-voice send the choice as `model`, and the server switches first.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend.model_traits import Traits, title_of, traits_of
from frontend.state import health

PICK_KEY = "model_pick"  # the widget's own state (gone while the picker is not drawn)
CHOICE_KEY = "model_choice"  # the user's choice (kept while the server is away); unset: none
SWITCH_OFF = (
    "This server does not switch models (CHATTERBOX_MODEL_SWITCH=off): it speaks with "
    "{title} only. To choose another, set CHATTERBOX_MODEL_SWITCH=on and restart it."
)


def picker(report: dict[str, Any]) -> None:
    """The model select box: every model of the server by title, the loaded one marked."""
    models = report.get("models") or []
    loaded = report.get("model")
    if len(models) < 2 or not loaded:  # nothing to choose from
        return
    titles = {entry["key"]: entry["title"] for entry in models}
    resident = {entry["key"] for entry in models if entry.get("resident")}

    def label(key: str) -> str:
        return f"{titles.get(key, key)} · loaded" if key in resident else titles.get(key, key)

    help_ = "The server keeps one model loaded and switches when a request names another."
    if report.get("model_switch") == "off":
        st.selectbox("Model", [loaded], format_func=label, disabled=True, key="model_fixed")
        st.caption(SWITCH_OFF.format(title=titles.get(loaded, loaded)))
        return
    options = list(titles)
    kept = st.session_state.get(CHOICE_KEY)
    # Until the user chooses, the picker follows the server (another client may switch it).
    st.session_state[PICK_KEY] = kept if kept in options else loaded
    choice = st.selectbox(
        "Model", options, format_func=label, key=PICK_KEY, on_change=_keep, help=help_
    )
    if choice != loaded:
        st.caption(
            f"{titles.get(loaded, loaded)} is loaded: the next request switches to "
            f"{titles.get(choice, choice)} first, which takes a while."
        )


def _keep() -> None:
    st.session_state[CHOICE_KEY] = st.session_state[PICK_KEY]


def switch_status(report: dict[str, Any]) -> None:
    """A switch under way, or the last one and how long it took."""
    switching, last = report.get("switching"), report.get("last_switch")
    if switching:
        before, after = title_of(report, switching["from"]), title_of(report, switching["to"])
        st.markdown(f":orange[●] Switching from {before} to {after}…")
    elif last and last.get("seconds") is not None:
        before, after = title_of(report, last["from"]), title_of(report, last["to"])
        st.caption(f"Last switch: {before} to {after} in {last['seconds']:.1f} s")


def chosen() -> str | None:
    """The model key to send with the next request; None: whichever is loaded (nothing chosen,
    switching off, or the server away)."""
    report = health()
    if not report or report.get("model_switch") == "off":
        return None
    keys = [entry["key"] for entry in report.get("models") or ()]
    choice = st.session_state.get(CHOICE_KEY)
    return choice if choice in keys else None


def chosen_traits() -> Traits:
    """What the model that will speak the next request does (tags, languages, ignored knobs)."""
    return traits_of(chosen(), health())

"""The sidebar on every page: is the server up, which engine and device, memory, Load/Unload,
its pull workers, the model picker and switches, and how other apps reach the same voice
through the OpenAI-compatible endpoint.

It re-checks /health every few seconds. When the server comes back after being down, or its
model changes (a switch begins or ends), the whole page reruns, so whatever the user was
looking at recovers by itself and its controls follow the model.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend import model_picker, model_traits, workers_panel
from frontend.api_client import ApiError
from frontend.notices import act, show_error
from frontend.state import HEALTH_KEY, client

REFRESH_SECONDS = 5
UP_KEY = "server_up"
MODEL_SEEN_KEY = "model_seen"  # (loaded model, switching?) at the last check
STATE_LABELS = {
    "ready": ":green[●] Ready",
    "loading": ":orange[●] Loading the model…",
    "unloading": ":orange[●] Unloading…",
    "unloaded": ":gray[●] Unloaded — loads again on the next request",
    "error": ":red[●] The model failed to load",
}
FAULT_LABEL = ":red[●] The engine process stopped — starts again on the next request"


def render() -> None:
    with st.sidebar:
        st.subheader("Server")
        _panel()
        # Outside the fragment: choosing a model reruns the whole page, whose controls follow it.
        report = st.session_state.get(HEALTH_KEY)
        if report and "error" not in report and len(report.get("models") or ()) > 1:
            st.subheader("Model")
            model_picker.picker(report)


@st.fragment(run_every=REFRESH_SECONDS)
def _panel() -> None:
    previous = st.session_state.get(UP_KEY)  # None on a session's first run
    try:
        health = client().health()
    except ApiError as error:
        health = None
        st.markdown(":red[●] Not answering")
        st.caption(f"{error.base_url}: checking again every {REFRESH_SECONDS} s.")
    up = health is not None
    st.session_state[HEALTH_KEY] = health
    st.session_state[UP_KEY] = up
    seen = _model_seen(health)
    before = st.session_state.get(MODEL_SEEN_KEY)
    st.session_state[MODEL_SEEN_KEY] = seen
    if (previous is not None and previous != up) or (before is not None and before != seen):
        st.rerun()  # the server went away or came back, or its model changed: redraw to match
    if health is None:
        return
    if "error" in health:  # 503: running, but set-up is incomplete
        show_error(ApiError(health["error"], health["message"], health.get("solution", ""), 503))
        return
    model_traits.remember(health)
    _status(health)
    model_picker.switch_status(health)
    _memory(health.get("memory") or {}, health)
    _buttons(health)
    workers_panel.render(client())
    _other_apps()


def _status(health: dict[str, Any]) -> None:
    error = health.get("last_error")
    fault = health["state"] == "error" and (error or {}).get("error") == "engine_fault"
    st.markdown(FAULT_LABEL if fault else STATE_LABELS.get(health["state"], health["state"]))
    st.caption(f"Engine **{health['engine']}** on **{health['device']}**")
    st.caption(_keep_alive(health))
    if error and health["state"] == "error":
        show_error(ApiError(error["error"], error["message"], error.get("solution", "")))
    _status_of_host(health)


def _model_seen(health: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if not health or "error" in health:
        return None
    return health.get("model"), bool(health.get("switching")), health.get("model_switch")


def _keep_alive(health: dict[str, Any]) -> str:
    keep_alive = health.get("keep_alive", -1)
    if keep_alive < 0:
        return "Keep-alive: stays loaded"
    if keep_alive == 0:
        return "Keep-alive: unloads after each request"
    if health.get("expires_in") is not None:
        return f"Keep-alive: unloads in {fmt.duration(health['expires_in'])} if idle"
    return f"Keep-alive: unloads after {fmt.duration(keep_alive)} idle"


def _memory(memory: dict[str, Any], health: dict[str, Any]) -> None:
    total, available = memory.get("ram_total_bytes"), memory.get("ram_available_bytes")
    if total and available is not None:
        used = total - available
        st.progress(min(1.0, used / total), text=f"RAM {fmt.size(used)} of {fmt.size(total)}")
    st.caption(f"Server process: {fmt.size(memory.get('rss_bytes'))}")
    host = health.get("engine_host")
    if host is not None:  # the model lives in an engine process of its own
        if host.get("pid") is not None:
            st.caption(f"Engine process: {fmt.size(host.get('rss_bytes'))}")
        else:
            st.caption("Engine process: not running (starts on the next request)")
    vram_total, vram_free = memory.get("vram_total_bytes"), memory.get("vram_free_bytes")
    if vram_total and vram_free is not None:  # the whole card, other programs included
        used = vram_total - vram_free
        text = f"VRAM {fmt.size(used)} of {fmt.size(vram_total)}"
        st.progress(min(1.0, used / vram_total), text=text)
    if memory.get("vram_reserved_bytes") is not None:
        st.caption(f"The model holds {fmt.size(memory['vram_reserved_bytes'])} of VRAM")
    elif health.get("device") == "cuda":
        st.caption("VRAM: none held (model unloaded)")
    else:
        st.caption(f"VRAM: not used ({health.get('device', 'cpu')} engine)")


def _buttons(health: dict[str, Any]) -> None:
    left, right = st.columns(2)
    busy = health["state"] in ("loading", "unloading")
    if left.button("Load", disabled=busy or health["model_loaded"], width="stretch"):
        act(client().load_model, "Model loaded.")
    if right.button("Unload", disabled=busy or not health["model_loaded"], width="stretch"):
        act(client().unload_model, unloaded)


def unloaded(answer: dict[str, Any]) -> str:
    """The toast after Unload: what the server really gave back."""
    before, freed = answer.get("before") or {}, answer.get("freed") or {}
    parts = []
    if isinstance(before.get("host_rss_bytes"), int) and before["host_rss_bytes"] > 0:
        parts.append(f"the engine process ended ({fmt.size(before['host_rss_bytes'])} of RAM)")
    vram = freed.get("vram_reserved_bytes")
    if isinstance(vram, int) and vram > 0:
        parts.append(f"{fmt.size(vram)} of VRAM freed")
    return "Model unloaded: " + ", ".join(parts) + "." if parts else "Model unloaded."


def _status_of_host(health: dict[str, Any]) -> None:
    """After the engine's process died under a call, say so until a later one ends otherwise."""
    host = health.get("engine_host") or {}
    exit_ = host.get("last_exit")
    if exit_ and exit_ != "unloaded" and health["state"] != "error":
        st.caption(f"The engine process restarted after it stopped: {exit_}")


def _other_apps() -> None:
    with st.expander("Use from other apps"):
        st.caption(
            "Tools made for OpenAI's text-to-speech (Open WebUI, SillyTavern, Home Assistant, "
            "the openai package) speak in the current voice with these settings:"
        )
        st.code(f"base URL: {client().base_url}/v1\nmodel:    tts-1\nvoice:    alloy", None)
        st.caption("Any API key works unless the server has CHATTERBOX_API_TOKEN; then use it.")

"""Voices: the current voice (and clearing it), the engine's own voices, the library: add a
reference clip (upload or record), hear it, choose the current voice, rename it or correct its
language, delete."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi, VoiceChanges
from frontend.audio_formats import UPLOAD_TYPES
from frontend.languages import label, voice_language
from frontend.notices import act, show_error, too_large
from frontend.state import client, health, limits
from frontend.voice_controls import current_name, stale_current

ROUND_KEY = "voice_input_round"
CLONING_OFF = (
    "The current engine ({engine}) reads with its built-in voice and cannot clone. You can still "
    "build your library now. To narrate in these voices, install Chatterbox: run "
    "`python setup_env.py --engine chatterbox` (it downloads the model into model_cache/), then "
    "restart with the start script."
)


def page() -> None:
    st.title("Voices")
    api = client()
    try:
        voices = api.voices()
    except ApiError as error:
        show_error(error)
        return
    if not voices.get("can_clone"):
        engine = (health() or {}).get("engine", "Piper")
        st.info(CLONING_OFF.format(engine=engine), icon=":material/info:")
    _current(api, voices)
    _engine_voices(voices)
    _add_voice(api, voices)
    _library(api, voices)


def _current(api: StudioApi, voices: dict[str, Any]) -> None:
    """The voice the server speaks in when a request names none, and the way back to the
    built-in one (DELETE /load_voice), which also ends a stale current voice's warnings."""
    name = current_name(voices)
    if name is None:
        st.caption("Current voice: the built-in voice (used whenever a request names no voice).")
        return
    if stale_current(voices):
        engine = (health() or {}).get("engine", "piper")
        st.warning(
            f"The current voice “{name}” cannot be used: the current engine ({engine}) cannot "
            "clone, so requests that name no voice speak in the built-in voice instead. Use the "
            "built-in voice to clear it (the voice stays in your library).",
            icon=":material/warning:",
        )
    else:
        st.markdown(f"Current voice: **{name}**")
    if st.button("Use the built-in voice", key="clear_current", icon=":material/restart_alt:"):
        act(api.clear_voice, "The built-in voice is the current voice again.")


def _engine_voices(voices: dict[str, Any]) -> None:
    engine_voices = voices.get("engine_voices", [])
    if engine_voices:
        names = ", ".join(f"**{voice.get('name') or voice['id']}**" for voice in engine_voices)
        st.markdown(f"The engine's own voices, to choose on Narrate and Quick speak: {names}.")


def _add_voice(api: StudioApi, voices: dict[str, Any]) -> None:
    limit = limits()
    low, high = limit["voice_min_seconds"], limit["voice_max_seconds"]
    st.subheader("Add a voice")
    st.caption(
        f"A clean recording of one speaker, {low:.0f}–{high:.0f} s long (10–30 s is ideal): "
        "no music, no echo, no other voices."
    )
    upload_tab, record_tab = st.tabs(["Upload a file", "Record"])
    with upload_tab:
        clip = st.file_uploader(
            "Reference clip (WAV, MP3, FLAC, OGG, or a WebM/MP4 browser recording)",
            type=UPLOAD_TYPES,
            key=f"voice_file_{_round()}",
            max_upload_size=max(1, int(limit["max_upload_mb"])),
            help=f"Up to {limit['max_upload_mb']} MB, the server's limit.",
        )
        if clip is not None:
            _offer(api, voices, clip.name, clip.getvalue(), "upload")
    with record_tab:
        recording = st.audio_input(
            "Record yourself reading a few sentences",
            sample_rate=24000,
            key=f"voice_recording_{_round()}",
        )
        if recording is not None:
            _offer(api, voices, "recording.wav", recording.getvalue(), "record")


def _offer(api: StudioApi, voices: dict[str, Any], filename: str, data: bytes, key: str) -> None:
    error = too_large(len(data), limits()["max_upload_bytes"], "voice")
    if error:
        show_error(error)
        return
    st.audio(data)
    stem = filename.rsplit(".", 1)[0]
    name = st.text_input("Name", value=stem, key=f"voice_name_{key}", max_chars=100)
    language = voice_language(f"{key}_{_round()}")
    can_clone = bool(voices.get("can_clone"))
    use_now = st.checkbox(
        "Use it as the current voice", value=can_clone, disabled=not can_clone, key=f"use_{key}"
    )
    if st.button("Add to library", type="primary", key=f"add_{key}", icon=":material/add:"):
        try:
            with st.spinner("Checking the clip…"):
                voice = api.add_voice(filename, data, name or None, language)
                if use_now:
                    api.select_voice(voice["id"])
        except ApiError as error:
            show_error(error)
            return
        st.toast(f"Added “{voice['name']}”.")
        st.session_state[ROUND_KEY] = _round() + 1  # fresh, empty inputs: no double adding
        st.rerun()


def _round() -> int:
    """Which set of input widgets is on the page; a new key empties them after an add."""
    return st.session_state.get(ROUND_KEY, 0)


def _library(api: StudioApi, voices: dict[str, Any]) -> None:
    st.subheader("Library")
    items = voices.get("voices", [])
    current = voices.get("current")
    if not items:
        st.caption("No voices yet. Add one above; the built-in voice is always there.")
        return
    for voice in items:
        with st.container(border=True, key=f"library_voice_{voice['id']}"):
            mark = " · :green[current]" if voice["id"] == current else ""
            st.markdown(f"**{voice.get('name') or voice['id']}**{mark}")
            st.caption(_details(voice))
            audio = _reference(api, voice["id"])
            if audio:
                st.audio(audio)
            left, middle, right = st.columns(3)
            usable = voices.get("can_clone") and voice["id"] != current
            if left.button("Use this voice", key=f"select_{voice['id']}", disabled=not usable):
                act(lambda v=voice: api.select_voice(v["id"]), "Voice selected.")
            with middle.popover("Edit", icon=":material/edit:"):
                _edit(api, voice)
            if right.button("Delete", key=f"delete_{voice['id']}", icon=":material/delete:"):
                act(lambda v=voice: api.delete_voice(v["id"]), "Voice deleted.")


def _edit(api: StudioApi, voice: dict[str, Any]) -> None:
    """Rename a library voice or correct its language; only what changed is sent (the server
    checks both as it does on upload). The id and the clip stay, so nothing is embedded again."""
    voice_id, name = voice["id"], voice.get("name") or voice["id"]
    new_name = st.text_input("Name", value=name, key=f"rename_{voice_id}", max_chars=100)
    language = voice_language(f"edit_{voice_id}", voice.get("language"))
    if not st.button("Save", key=f"save_{voice_id}", type="primary", icon=":material/save:"):
        return
    changes: VoiceChanges = {}
    if " ".join(new_name.split()) != name:
        changes["name"] = new_name
    if language != voice.get("language"):
        changes["language"] = language
    if not changes:
        st.caption("Nothing to save: the name and the language are as they were.")
        return
    act(lambda: api.update_voice(voice_id, changes), lambda saved: f"Saved “{saved['name']}”.")


def _details(voice: dict[str, Any]) -> str:
    parts = []
    if voice.get("duration_seconds") is not None:
        parts.append(f"{fmt.duration(voice['duration_seconds'])} long")
    if voice.get("language"):
        parts.append(f"in {label(voice['language'])}")
    if voice.get("created_at"):
        parts.append(f"added {fmt.when(voice['created_at'])}")
    return " · ".join(parts) or voice["id"]


def _reference(api: StudioApi, voice_id: str) -> bytes | None:
    cache = st.session_state.setdefault("_voice_audio", {})
    if voice_id not in cache:
        try:
            cache[voice_id] = api.voice_audio(voice_id)
        except ApiError:
            return None
    return cache[voice_id]


page()

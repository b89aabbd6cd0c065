"""Re-voice a recording: the words and timing of an uploaded or recorded take, spoken again in a
library voice (POST /voice-conversion), to hear and to download."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import model_picker
from frontend.api_client import ApiError
from frontend.api_protocol import Speech
from frontend.audio_formats import MIME, UPLOAD_TYPES, play_and_offer
from frontend.model_traits import can_convert_any, title_of
from frontend.notices import show_error, too_large
from frontend.state import client, health, limits
from frontend.voice_controls import BUILTIN

RESULT_KEY = "revoice_result"
CANNOT_CONVERT = (
    "Re-voicing needs a Chatterbox model (its speech decoder turns one voice into another), and "
    "this server has {models}. Install one: run `python setup_env.py --model turbo` (it "
    "downloads the model into model_cache/; `original` or `multilingual` work too), then "
    "restart with the start script."
)


def page() -> None:
    st.title("Re-voice a recording")
    st.caption(
        "Keep a recording's words, timing and intonation, and hear them in a voice from your "
        "library: record a line the way it should go, then give it another voice."
    )
    report = health()
    if report and "error" not in report and not can_convert_any(report):
        titles = [entry.get("title") or entry["key"] for entry in report.get("models") or ()]
        models = " and ".join(titles) if titles else f"the {report.get('engine')} engine only"
        st.info(CANNOT_CONVERT.format(models=models), icon=":material/info:")
        return
    try:
        voices = client().voices()
    except ApiError as error:
        show_error(error)
        return
    recording = _recording()
    voice = _voice(voices)
    fmt = st.segmented_control(
        "Format", list(MIME), default="wav", key="revoice_format", required=True
    )
    model = _model()
    convert = st.button(
        "Re-voice", type="primary", icon=":material/swap_horiz:", disabled=recording is None
    )
    if convert and recording is not None:
        _convert(recording, voice, fmt, model)
    if RESULT_KEY in st.session_state:
        _result(*st.session_state[RESULT_KEY])


def _recording() -> tuple[str, bytes] | None:
    """The take to re-voice, uploaded or recorded here; None until there is one."""
    limit = limits()
    upload_tab, record_tab = st.tabs(["Upload a recording", "Record"])
    with upload_tab:
        upload = st.file_uploader(
            "Recording (WAV, MP3, FLAC, OGG, or a WebM/MP4 browser recording)",
            type=UPLOAD_TYPES,
            key="revoice_file",
            max_upload_size=max(1, int(limit["max_upload_mb"])),
            help=f"Up to {limit['max_upload_mb']} MB, the server's limit.",
        )
    with record_tab:
        recorded = st.audio_input("Record the line", key="revoice_recording")
    if upload is not None:
        taken = (upload.name, upload.getvalue())
    elif recorded is not None:
        taken = ("recording.wav", recorded.getvalue())
    else:
        return None
    error = too_large(len(taken[1]), limit["max_upload_bytes"], "voice")  # the same 413
    if error:
        show_error(error)
        return None
    return taken


def _voice(voices: dict[str, Any]) -> str:
    """A library voice (or the built-in one) to speak the recording in."""
    labels = {voice["id"]: voice.get("name") or voice["id"] for voice in voices.get("voices", [])}
    labels[BUILTIN] = "Built-in voice"
    if len(labels) == 1:
        st.caption("Your library is empty: add voices on the Voices page.")
    return st.selectbox(
        "Voice",
        list(labels),
        format_func=lambda value: labels.get(value, value),
        key="revoice_voice",
    )


def _model() -> str | None:
    """The chosen model when it can re-voice; otherwise None, and the server picks one."""
    traits = model_picker.chosen_traits()
    model = model_picker.chosen()
    if not traits.can_convert_voice:
        st.caption(
            f"{traits.title} cannot re-voice a recording, so the server uses one of its "
            "Chatterbox models."
        )
        return None
    if traits.min_reference_seconds:
        st.caption(
            f"{traits.title} needs a voice whose reference clip is longer than "
            f"{traits.min_reference_seconds:g} s."
        )
    return model


def _convert(recording: tuple[str, bytes], voice: str, fmt: str, model: str | None) -> None:
    filename, data = recording
    try:
        with st.spinner("Re-voicing…"):
            speech = client().convert_voice(filename, data, voice, fmt, model)
    except ApiError as error:
        st.session_state.pop(RESULT_KEY, None)  # never leave an old take under a new error
        show_error(error)
        return
    st.session_state[RESULT_KEY] = (speech, fmt, filename.rsplit(".", 1)[0] or "recording")


def _result(speech: Speech, kind: str, stem: str) -> None:
    parts = []
    if speech.seconds is not None:
        parts.append(f"{speech.seconds:.1f} s")
    if speech.model:
        parts.append(f"re-voiced by {title_of(health(), speech.model)}")
    if parts:
        text = ", ".join(parts)
        st.caption(text[0].upper() + text[1:] + ".")
    play_and_offer(speech.audio, kind, f"{stem}-{speech.voice or 'revoiced'}.{kind}")


page()

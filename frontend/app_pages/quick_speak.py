"""Quick speak: a short text read aloud at once, to try a voice and its settings."""

from __future__ import annotations

import streamlit as st

from frontend.api_client import ApiError
from frontend.notices import show_error
from frontend.state import client, health, limits
from frontend.voice_controls import delivery, voice_choice

RESULT_KEY = "quick_speak_result"
# The formats /tts offers that a browser can play (pcm is raw samples, for programs).
MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
}


def page() -> None:
    st.title("Quick speak")
    st.caption("Hear a voice on a sentence or two before narrating a whole document.")
    try:
        voices = client().voices()
    except ApiError as error:
        show_error(error)
        return
    text = st.text_area(
        "Text",
        value="Hello! This is how I sound when I read your documents aloud.",
        max_chars=int(limits()["max_text_chars"]),
        key="quick_text",
        height=120,
    )
    voice = voice_choice(voices, "quick")
    params = delivery((health() or {}).get("engine"), "quick")
    fmt = st.segmented_control(
        "Format", list(MIME), default="wav", key="quick_format", required=True
    )
    speak = st.button(
        "Speak", type="primary", icon=":material/record_voice_over:", disabled=voice is None
    )
    if speak:
        try:
            with st.spinner("Speaking…"):
                audio = client().speak(text, voice, params, fmt)
        except ApiError as error:
            st.session_state.pop(RESULT_KEY, None)  # never leave an old take under a new error
            show_error(error)
        else:
            st.session_state[RESULT_KEY] = (audio, fmt)
    if RESULT_KEY in st.session_state:
        audio, kind = st.session_state[RESULT_KEY]
        st.audio(audio, format=MIME[kind])
        st.download_button(
            f"Download {kind.upper()}",
            data=audio,
            file_name=f"speech.{kind}",
            mime=MIME[kind],
            icon=":material/download:",
            on_click="ignore",
        )


page()

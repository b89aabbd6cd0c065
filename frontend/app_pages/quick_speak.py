"""Quick speak: a short text read aloud at once, to try a voice, a model and its settings."""

from __future__ import annotations

import streamlit as st

from frontend import model_picker
from frontend.api_client import ApiError
from frontend.api_protocol import Speech
from frontend.audio_formats import MIME, play_and_offer
from frontend.languages import language_choice
from frontend.model_traits import tag_speaker, title_of
from frontend.notices import show_error
from frontend.state import client, health, limits
from frontend.tag_palette import palette, removed_notice
from frontend.voice_controls import delivery, voice_choice

RESULT_KEY = "quick_speak_result"
TEXT_KEY = "quick_text"
GREETING = "Hello! This is how I sound when I read your documents aloud."


def page() -> None:
    st.title("Quick speak")
    st.caption("Hear a voice on a sentence or two before narrating a whole document.")
    try:
        voices = client().voices()
    except ApiError as error:
        show_error(error)
        return
    traits = model_picker.chosen_traits()
    st.session_state.setdefault(TEXT_KEY, GREETING)  # a default without a value= to fight with
    max_chars = int(limits()["max_text_chars"])
    if traits.tags != ():
        text_column, tag_column = st.columns([3, 1])
        with tag_column:
            palette(traits, TEXT_KEY, max_chars)
    else:
        text_column = st.container()
    text = text_column.text_area("Text", max_chars=max_chars, key=TEXT_KEY, height=120)
    language = language_choice(traits.languages, "quick", detect=False)
    voice = voice_choice(voices, "quick")
    params = delivery((health() or {}).get("engine"), "quick", traits.ignored_params, traits.title)
    fmt = st.segmented_control(
        "Format", list(MIME), default="wav", key="quick_format", required=True
    )
    speak = st.button(
        "Speak", type="primary", icon=":material/record_voice_over:", disabled=voice is None
    )
    if speak:
        try:
            with st.spinner("Speaking…"):
                speech = client().speak(
                    text, voice, params, fmt, model=model_picker.chosen(), language=language
                )
        except ApiError as error:
            st.session_state.pop(RESULT_KEY, None)  # never leave an old take under a new error
            show_error(error)
        else:
            st.session_state[RESULT_KEY] = (speech, fmt)
    if RESULT_KEY in st.session_state:
        _result(*st.session_state[RESULT_KEY])


def _result(speech: Speech, kind: str) -> None:
    report = health()
    title = title_of(report, speech.model) if speech.model else None
    if title:
        st.caption(f"Spoken by {title}.")
    removed_notice(speech.tags_removed, title or "This model", tag_speaker(report))
    play_and_offer(speech.audio, kind, f"speech.{kind}")


page()

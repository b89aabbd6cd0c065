"""Audio formats: the uploads the server decodes, and what it encodes that a browser plays."""

from __future__ import annotations

# pcm (raw samples, for programs) is left out: a page cannot play it.
MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
}
# What POST /voices and POST /voice-conversion take.
UPLOAD_TYPES = ["wav", "mp3", "flac", "ogg", "webm", "m4a", "mp4"]


def play_and_offer(audio: bytes, kind: str, file_name: str) -> None:
    """A player for `audio` (format `kind`) and a download of it as `file_name`."""
    import streamlit as st

    st.audio(audio, format=MIME[kind])
    st.download_button(
        f"Download {kind.upper()}",
        data=audio,
        file_name=file_name,
        mime=MIME[kind],
        icon=":material/download:",
        on_click="ignore",
    )

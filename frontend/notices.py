"""The one way a failure reaches the page: the server's message and its solution, never a trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from frontend.api_client import ApiError
from frontend.languages import label


def show_error(error: ApiError) -> None:
    text = f"**{error.message}**"
    if error.solution:
        text += f"\n\n{error.solution}"
    listed = _listed(error)
    if listed:
        text += f"\n\n{listed}"
    if error.server_down:
        st.warning(text, icon=":material/cloud_off:")
    else:
        st.error(text, icon=":material/error:")


def _listed(error: ApiError) -> str:
    """What the error's solution points to in its body ('known_tags', 'languages'), spelt out:
    the studio shows no raw body."""
    if error.code == "unknown_tag" and error.details.get("known_tags"):
        return "Tags it knows: " + ", ".join(error.details["known_tags"])
    if error.code == "unsupported_language" and error.details.get("languages"):
        return "Languages it speaks: " + ", ".join(map(label, error.details["languages"]))
    return ""


def act(action: Callable[[], Any], done: str | Callable[[Any], str]) -> None:
    """Run a button's server call: on success a toast (`done`, or `done(answer)`) and a fresh
    page (what it offers may have changed), on failure the server's message in place."""
    try:
        answer = action()
    except ApiError as error:
        show_error(error)
        return
    st.toast(done(answer) if callable(done) else done)
    st.rerun()


def too_large(size_bytes: int, limit_bytes: int, kind: str) -> ApiError | None:
    """The server's own 413 for an upload over its limit, said before sending anything."""
    if size_bytes <= limit_bytes:
        return None
    solution = (
        "Trim the clip: 10-30 seconds of clean speech is ideal for cloning."
        if kind == "voice"
        else "Save only the pages you want to narrate, or split the PDF into smaller files and "
        "narrate each as its own job; or raise CHATTERBOX_MAX_UPLOAD_MB and restart the server."
    )
    message = f"The upload is larger than the limit of {limit_bytes / 1048576:.1f} MB."
    return ApiError("upload_too_large", message, solution, 413)

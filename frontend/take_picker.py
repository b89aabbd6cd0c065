"""A scene's takes side by side: each playable, with why it was made and how it scored, and
"Use this take" to make it the one the narration, its chapters and subtitles use."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi
from frontend.notices import act, show_error
from frontend.state import read_afresh

REASONS = {
    "first": "first take",
    "edit": "after an edit",
    "regenerate": "regenerated",
    "stale": "for a changed lexicon or setting",
    "check": "re-take after a failed check",
}


def render(api: StudioApi, job: dict[str, Any], scene: dict[str, Any]) -> None:
    """The takes of a scene that has more than one (GET /jobs/{id}/scenes/{n}/takes)."""
    if (scene.get("takes") or 0) < 2:
        return
    stamp = f"{scene.get('take')}|{scene.get('takes')}|{scene.get('pending_takes')}"
    try:
        listing = _takes(api.base_url, job["id"], scene["idx"], stamp, api)
    except ApiError as error:
        show_error(error)
        return
    takes = listing["takes"]
    st.markdown(f"**Takes** · {len(takes)} kept" + _pending(listing["pending"]))
    for column, take in zip(st.columns(len(takes)), takes, strict=True):
        with column.container(border=True, key=f"take_{scene['idx']}_{take['number']}"):
            _take(api, job, scene, take)


def _take(api: StudioApi, job: dict[str, Any], scene: dict[str, Any], take: dict[str, Any]):
    index, number = scene["idx"], take["number"]
    chosen = " · :green-badge[chosen]" if take["chosen"] else ""
    st.markdown(f"**Take {number}**{chosen}")
    st.caption(f"{REASONS.get(take['reason'], take['reason'])} · {fmt.when(take['created_at'])}")
    audio = _audio(api, job["id"], index, number)
    if audio is None:
        st.caption("The audio of this take could not be fetched.")
    else:
        st.audio(audio, format="audio/wav")
    st.caption(scores(take))
    if " ".join(take["text"].split()) != " ".join(scene["text"].split()):
        st.caption(f"Said: {fmt.snippet(take['text'])}")
    if st.button(
        "Use this take",
        key=f"use_take_{index}_{number}",
        disabled=take["chosen"],
        icon=":material/check:",
    ):
        act(lambda: read_afresh(api.choose_take(job["id"], index, number)), _chosen)


def scores(take: dict[str, Any]) -> str:
    """Length and, where the checks ran, what Whisper heard and how like the voice it sounds."""
    parts = [fmt.duration(take.get("duration_seconds"))]
    if take.get("wer") is not None:
        parts.append(f"WER {take['wer']:.2f}")
    if take.get("similarity") is not None:
        parts.append(f"voice match {take['similarity']:.2f}")
    if len(parts) == 1:
        parts.append("not checked")
    return " · ".join(parts)


def _pending(count: int) -> str:
    return f" · {count} more being made" if count else ""


def _chosen(scene: dict[str, Any]) -> str:
    return f"Scene {scene['idx']} now uses take {scene['take']}; the narration follows it."


@st.cache_data(max_entries=200, show_spinner=False)
def _takes(base_url: str, job_id: str, index: int, stamp: str, _api: StudioApi) -> dict[str, Any]:
    return _api.scene_takes(job_id, index)


@st.cache_data(max_entries=200, show_spinner=False)
def _take_audio(base_url: str, job_id: str, index: int, number: int, _api: StudioApi) -> bytes:
    return _api.take_audio(job_id, index, number)  # a take never changes once made


def _audio(api: StudioApi, job_id: str, index: int, number: int) -> bytes | None:
    try:
        return _take_audio(api.base_url, job_id, index, number, api)
    except ApiError:
        return None

"""The sidebar's pull workers (GET /workers): each one's engine, its scenes done and held now,
and how long ago the server last heard from it."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi

NONE_CONNECTED = "Workers: none connected."


def render(api: StudioApi) -> None:
    """The workers under the server's health. A server that takes no workers (no worker token,
    the default) shows nothing; one that has heard from none says so in one line."""
    try:
        listing = api.workers()
    except ApiError as error:
        st.caption(f"Workers: {error.message}")
        return
    if not listing.get("enabled"):
        return
    workers = listing["workers"]
    if not workers:
        st.caption(NONE_CONNECTED)
        return
    st.markdown("**Workers**")
    now = time.time()
    for worker in workers:
        st.caption(line(worker, now))


def line(worker: dict[str, Any], now: float) -> str:
    """'**gpu-box** · chatterbox — 12 scenes done, 1 held now, seen 12 s ago'."""
    engine = f" · {fmt.escape(worker['engine'])}" if worker.get("engine") else ""
    last_seen = worker.get("last_seen")
    seen = "not heard from yet" if last_seen is None else f"seen {fmt.ago(now - last_seen)}"
    work = f"{_scenes(worker['scenes'])} done, {worker['leases']} held now"
    return f"**{fmt.escape(worker['name'])}**{engine} — {work}, {seen}"


def _scenes(count: int) -> str:
    return f"{count} scene" if count == 1 else f"{count} scenes"

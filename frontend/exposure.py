"""The studio refuses to serve beyond this machine without an API token, as the server does."""

from __future__ import annotations

import os

import streamlit as st

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def problem(address: str | None, token: str | None) -> str | None:
    """Why the studio must not show itself on `address` (Streamlit's server.address), or None."""
    address = (address or "").strip().lower()  # unset or empty: Streamlit listens everywhere
    if address in LOOPBACK or address.startswith("127.") or token:
        return None
    return (
        f"The studio is listening on '{address or 'all interfaces'}', which other machines can "
        "reach, and no CHATTERBOX_API_TOKEN is set. Set the server's token for the studio too, "
        "or start the studio with --server.address 127.0.0.1 (the start scripts do)."
    )


def guard() -> None:
    """Stop the page with an explanation when `problem` finds one."""
    reason = problem(st.get_option("server.address"), os.environ.get("CHATTERBOX_API_TOKEN"))
    if reason:
        st.error(reason, icon=":material/lock:")
        st.stop()

"""A job's cover on its page: the one it has (the book's own, or one uploaded) and an upload of
a PNG or JPEG to use instead; the M4B and MP3 downloads carry it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi
from frontend.notices import act

COVER_TYPES = ["png", "jpg", "jpeg"]


def render(api: StudioApi, job: dict[str, Any]) -> None:
    """The cover panel of a finished job (collapsed: most narrations keep the cover they have)."""
    has_cover = bool(job.get("cover_path"))
    with st.expander("Cover", icon=":material/image:", expanded=False):
        if has_cover:
            image = _cover(api, job["id"], str(job["cover_path"]), job.get("updated_at") or "")
            if image:
                st.image(image, caption="The audiobook's cover", width=160)
        else:
            st.caption("No cover yet: the M4B and MP3 downloads have none until you add one.")
        upload = st.file_uploader(
            "A cover image (PNG or JPEG; square, 1400–3000 pixels, suits audiobook players)",
            type=COVER_TYPES,
            key=f"cover_file_{job['id']}",
        )
        if upload is not None and st.button(
            "Use as cover", key="cover_put", type="primary", icon=":material/upload:"
        ):
            act(
                lambda: api.put_cover(job["id"], upload.name, upload.getvalue()),
                "The cover is set: the M4B and MP3 downloads carry it now.",
            )


@st.cache_data(max_entries=20, show_spinner=False)
def _fetch(base_url: str, job_id: str, path: str, stamp: str, _api: StudioApi) -> bytes:
    return _api.job_cover(job_id)


def _cover(api: StudioApi, job_id: str, path: str, stamp: str) -> bytes | None:
    try:  # fetched again only when the job's cover (or the job) changed
        return _fetch(api.base_url, job_id, path, stamp, api)
    except ApiError:
        return None

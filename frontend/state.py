"""Per-user state of the studio: the API client, the open job (in the URL), its scenes, limits."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend.api_client import ApiClient
from frontend.api_protocol import StudioApi
from frontend.scene_feed import SceneFeed

API_KEY = "api"  # tests put a fake client here before the first run
HEALTH_KEY = "health"
JOB_PARAM = "job"
OPEN_JOB_KEY = "open_job"
FEED_KEY = "scene_feed"

# The server's defaults, used only until its /health has answered once.
DEFAULT_LIMITS: dict[str, Any] = {
    "max_upload_bytes": 50 * 1048576,
    "max_upload_mb": 50,
    "max_text_chars": 5000,
    "max_job_chars": 2_000_000,
    "voice_min_seconds": 3.0,
    "voice_max_seconds": 60.0,
    "max_pdf_pages": 2000,
}


def client() -> StudioApi:
    injected = st.session_state.get(API_KEY)
    return injected if injected is not None else _shared_client()


@st.cache_resource
def _shared_client() -> ApiClient:
    return ApiClient()


def health() -> dict[str, Any] | None:
    """The last /health body the sidebar received, or None while the server is down."""
    return st.session_state.get(HEALTH_KEY)


def limits() -> dict[str, Any]:
    known = (health() or {}).get("limits") or {}
    return {**DEFAULT_LIMITS, **known}


def open_job() -> str | None:
    """The job shown on Narrate: the URL's ?job= (a refresh or a second tab keeps it), else the
    one this session last opened, so coming back from another page finds it again."""
    job_id = st.query_params.get(JOB_PARAM) or st.session_state.get(OPEN_JOB_KEY)
    if job_id and st.query_params.get(JOB_PARAM) != job_id:
        st.query_params[JOB_PARAM] = job_id
    return job_id or None


def set_open_job(job_id: str | None) -> None:
    st.session_state[OPEN_JOB_KEY] = job_id
    if job_id:
        st.query_params[JOB_PARAM] = job_id
    elif JOB_PARAM in st.query_params:
        del st.query_params[JOB_PARAM]


def read_afresh(answer: Any) -> Any:
    """After an action that may change scenes where the feed would not look (an edit, a take
    chosen, the narration re-assembled): the next poll reads every scene again."""
    st.session_state.pop(FEED_KEY, None)
    return answer


def scene_feed(job_id: str) -> SceneFeed:
    """The scenes this session holds of job `job_id`; opening another job starts afresh."""
    feed = st.session_state.get(FEED_KEY)
    if feed is None or feed.job_id != job_id:
        feed = st.session_state[FEED_KEY] = SceneFeed(job_id)
    return feed

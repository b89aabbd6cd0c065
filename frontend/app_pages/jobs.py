"""Jobs: every narration the server keeps, with its state; open one or delete it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.job_view import POLL_SECONDS, STATUS_LABELS, TERMINAL
from frontend.notices import show_error
from frontend.state import JOB_PARAM, client, open_job, set_open_job

NARRATE_PAGE = "app_pages/narrate.py"


def page() -> None:
    st.title("Jobs")
    try:
        jobs = client().jobs()
    except ApiError as error:
        show_error(error)
        return
    if not jobs:
        st.caption("No narrations yet.")
        st.page_link(NARRATE_PAGE, label="Start one on the Narrate page", icon=":material/mic:")
        return
    if any(job["status"] not in TERMINAL for job in jobs):
        _live_list()
    else:
        _still_list(jobs)


@st.fragment(run_every=POLL_SECONDS)
def _live_list() -> None:
    """While a job runs, its row keeps up; once all are done the page stops polling."""
    try:
        jobs = client().jobs()
    except ApiError as error:
        show_error(error)
        return
    for job in jobs:
        _row(job)
    if all(job["status"] in TERMINAL for job in jobs):
        st.rerun()


def _still_list(jobs: list[dict[str, Any]]) -> None:
    for job in jobs:
        _row(job)


def _row(job: dict[str, Any]) -> None:
    progress = job["progress"]
    with st.container(border=True, key=f"job_{job['id']}"):
        st.markdown(f"**{job['title']}**")
        st.caption(
            f"{STATUS_LABELS.get(job['status'], job['status'])} · "
            f"{progress['completed']} of {progress['total']} scenes · {fmt.when(job['created_at'])}"
        )
        left, right = st.columns(2)
        if left.button("Open", key=f"open_{job['id']}", icon=":material/open_in_new:"):
            st.switch_page(NARRATE_PAGE, query_params={JOB_PARAM: job["id"]})
        with right.popover("Delete", icon=":material/delete:"):
            st.write("Delete this narration and its audio? This cannot be undone.")
            if st.button("Delete for good", key=f"delete_{job['id']}", type="primary"):
                _delete(job["id"])


def _delete(job_id: str) -> None:
    try:
        client().delete_job(job_id)
    except ApiError as error:
        show_error(error)
        return
    if open_job() == job_id:
        set_open_job(None)
    st.toast("Narration deleted.")
    st.rerun()


page()

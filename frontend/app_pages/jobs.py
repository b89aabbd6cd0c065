"""Jobs: every narration the server keeps. The unfinished ones are the queue, in the order they
run (move one up or down, pause or resume it, or pause all and free the GPU); the ended ones
follow, newest first. Open one or delete it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi
from frontend.job_view import POLL_SECONDS, STATUS_LABELS, TERMINAL
from frontend.notices import act, show_error
from frontend.sidebar import unloaded
from frontend.state import JOB_PARAM, client, open_job, set_open_job

NARRATE_PAGE = "app_pages/narrate.py"
PAUSED_LABEL = ":orange-badge[:material/pause: paused]"


def page() -> None:
    st.title("Jobs")
    try:
        listing = client().job_list()
    except ApiError as error:
        show_error(error)
        return
    if not listing["jobs"]:
        st.caption("No narrations yet.")
        st.page_link(NARRATE_PAGE, label="Start one on the Narrate page", icon=":material/mic:")
        return
    if any(job["status"] not in TERMINAL for job in listing["jobs"]):
        _live_list()
    else:
        _draw(listing)


@st.fragment(run_every=POLL_SECONDS)
def _live_list() -> None:
    """While a job runs, its row keeps up; once all are done the page stops polling."""
    try:
        listing = client().job_list()
    except ApiError as error:
        show_error(error)
        return
    _draw(listing)
    if all(job["status"] in TERMINAL for job in listing["jobs"]):
        st.rerun()


def queue_order(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The unfinished jobs in the order they run (the server's queue_position)."""
    waiting = [job for job in jobs if job["status"] not in TERMINAL]
    return sorted(waiting, key=lambda job: job.get("queue_position") or len(jobs) + 1)


def _draw(listing: dict[str, Any]) -> None:
    api, jobs = client(), listing["jobs"]
    queued = queue_order(jobs)
    _queue_bar(api, listing, bool(queued))
    for place, job in enumerate(queued):
        _row(api, job, queued, place)
    for job in jobs:
        if job["status"] in TERMINAL:
            _row(api, job)


def _queue_bar(api: StudioApi, listing: dict[str, Any], anything_queued: bool) -> None:
    if listing.get("paused_all"):
        with st.container(horizontal=True, key="queue_bar"):
            st.info(
                "Every job is paused and the model is unloaded, so the GPU is free for other "
                "work. Resume to carry on where each job stopped.",
                icon=":material/pause_circle:",
            )
            if st.button(
                "Resume", key="queue_resume_all", type="primary", icon=":material/play_arrow:"
            ):
                act(api.resume_all, _resumed)
        return
    if anything_queued and st.button(
        "Pause all and free the GPU",
        key="queue_pause_all",
        icon=":material/pause_circle:",
        help="Every job stops after the scene in progress, and the model is unloaded.",
    ):
        act(api.pause_all, _paused)


def _paused(answer: dict[str, Any]) -> str:
    return f"Paused {_jobs(answer['paused'])}. {unloaded(answer.get('unload') or {})}"


def _resumed(answer: dict[str, Any]) -> str:
    return f"Resumed {_jobs(answer['resumed'])}."


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def _row(
    api: StudioApi,
    job: dict[str, Any],
    queued: list[dict[str, Any]] | None = None,
    place: int = 0,
) -> None:
    progress = job["progress"]
    with st.container(border=True, key=f"job_{job['id']}"):
        paused = f" {PAUSED_LABEL}" if job.get("paused") and queued is not None else ""
        st.markdown(f"**{job['title']}**{paused}")
        where = f" · #{job['queue_position']} in the queue" if job.get("queue_position") else ""
        st.caption(
            f"{STATUS_LABELS.get(job['status'], job['status'])} · "
            f"{progress['completed']} of {progress['total']} scenes · "
            f"{fmt.when(job['created_at'])}{where}"
        )
        bar = st.container(horizontal=True)
        if bar.button("Open", key=f"open_{job['id']}", icon=":material/open_in_new:"):
            st.switch_page(NARRATE_PAGE, query_params={JOB_PARAM: job["id"]})
        if queued is not None:
            _queue_controls(api, bar, job, queued, place)
        with bar.popover("Delete", icon=":material/delete:"):
            st.write("Delete this narration and its audio? This cannot be undone.")
            if st.button("Delete for good", key=f"delete_{job['id']}", type="primary"):
                _delete(job["id"])


def _queue_controls(
    api: StudioApi, bar: Any, job: dict[str, Any], queued: list[dict[str, Any]], place: int
) -> None:
    order = [queued_job["id"] for queued_job in queued]
    if bar.button("Move up", key=f"up_{job['id']}", icon=":material/arrow_upward:",
                  disabled=place == 0):  # fmt: skip
        order[place - 1], order[place] = order[place], order[place - 1]
        act(lambda: api.reorder_jobs(order), f"“{job['title']}” moves up the queue.")
    if bar.button("Move down", key=f"down_{job['id']}", icon=":material/arrow_downward:",
                  disabled=place == len(order) - 1):  # fmt: skip
        order[place + 1], order[place] = order[place], order[place + 1]
        act(lambda: api.reorder_jobs(order), f"“{job['title']}” moves down the queue.")
    if job.get("paused"):
        if bar.button("Resume", key=f"resume_{job['id']}", icon=":material/play_arrow:"):
            act(lambda: api.resume_job(job["id"]), f"“{job['title']}” carries on.")
    elif bar.button("Pause", key=f"pause_{job['id']}", icon=":material/pause:"):
        act(
            lambda: api.pause_job(job["id"]),
            f"“{job['title']}” pauses after the scene in progress.",
        )


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

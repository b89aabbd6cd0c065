"""One narration job on the page: progress, every scene (playable when done), downloads, controls.

While the job runs, a fragment polls the server every POLL_SECONDS and redraws only itself; a
poll reads the job and only the scenes that can still change (frontend/scene_feed.py). A scene
that is already playing keeps playing, because its player is redrawn unchanged. At a terminal
state the page reruns once into a still view that no longer polls.
"""

from __future__ import annotations

from statistics import mean
from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend import job_cover, languages, readalong, scene_editor, take_picker
from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi
from frontend.notices import act, show_error
from frontend.state import client, read_afresh, scene_feed, set_open_job

POLL_SECONDS = 2.0
# The whole narration's downloads: the audiobook first, then the plain audio.
DOWNLOADS = {"m4b": "audio/mp4", "mp3": "audio/mpeg", "wav": "audio/wav"}
DOWNLOAD_HELP = {
    "m4b": "An audiobook (AAC): chapters, cover, title, author and narrator.",
    "mp3": "MP3 with chapter marks, cover and tags.",
}
SCENES_PER_PAGE = 10
TERMINAL = ("completed", "failed", "cancelled")
STATUS_LABELS = {
    "pending": ":gray[Waiting]",
    "processing": ":blue[Narrating]",
    "completed": ":green[Completed]",
    "failed": ":red[Failed]",
    "cancelled": ":orange[Cancelled]",
}


def render(job_id: str) -> bool:
    """Show the job; False when there is none to show (the error is on the page instead)."""
    try:
        job = scene_feed(job_id).poll(client())
    except ApiError as error:
        show_error(error)
        if error.code == "job_not_found":
            set_open_job(None)
        return False
    if job["status"] in TERMINAL and not _settling(job):
        _still(job_id)
    else:
        _live(job_id)
    return True


@st.fragment(run_every=POLL_SECONDS)
def _live(job_id: str) -> None:
    job = _draw(job_id)
    if job is not None and job["status"] in TERMINAL and not _settling(job):
        st.rerun()  # into the still view: polling stops here


@st.fragment
def _still(job_id: str) -> None:
    job = _draw(job_id)
    if job is not None and (job["status"] not in TERMINAL or _settling(job)):
        st.rerun()  # retried, or a scene re-taken: poll again


def _settling(job: dict[str, Any]) -> bool:
    """Still changing though its status has ended: pages still read, re-takes or checks due."""
    return _extracting(job) or any(scene_editor.busy(s) for s in job.get("scenes", []))


def _extracting(job: dict[str, Any]) -> bool:
    return job["extraction_status"] in ("pending", "processing") and job["status"] != "cancelled"


def _draw(job_id: str) -> dict[str, Any] | None:
    api = client()
    try:
        job = scene_feed(job_id).poll(api)
    except ApiError as error:
        show_error(error)
        return None
    _header(api, job)
    _progress(job)
    _downloads(api, job)
    _scenes(api, job)
    return job


def _header(api: StudioApi, job: dict[str, Any]) -> None:
    st.subheader(job["title"])
    source = "PDF" if job["source_kind"] == "pdf" else "Text"
    pages = f", pages {job['pages']}" if job.get("pages") else ""
    params = job.get("params") or {}
    spoken = f" · model **{params['model']}**" if params.get("model") else ""
    if params.get("language"):
        spoken += f" · {languages.label(params['language'])}"
    voice = _voice_label(job.get("voice"))
    st.markdown(
        f"{STATUS_LABELS.get(job['status'], job['status'])} · {source}{pages} · "
        f"voice **{voice}**{spoken} · started {fmt.when(job['created_at'])}"
    )
    if job.get("error_message"):
        st.error(job["error_message"], icon=":material/error:")
    grade = reading_grade(job)
    if grade:
        st.caption(grade)
    bar = st.container(horizontal=True)
    running = job["status"] in ("pending", "processing")
    if running and bar.button("Cancel", key="job_cancel", icon=":material/stop:"):
        act(lambda: api.cancel_job(job["id"]), "Stopped after the current scene.")
    retryable = job["status"] in ("failed", "cancelled") or job["progress"]["failed"]
    if retryable and bar.button("Retry", key="job_retry", icon=":material/refresh:"):
        act(lambda: api.retry_job(job["id"]), "Narrating the unfinished scenes again.")
    stale = sum(1 for scene in job.get("scenes", []) if scene.get("stale"))
    if stale and bar.button(
        f"Regenerate stale scenes ({stale})",
        key="job_regenerate_stale",
        icon=":material/autorenew:",
    ):
        act(lambda: read_afresh(api.regenerate_stale(job["id"])), _stale_queued)
    if bar.button("New narration", key="job_new", icon=":material/add:"):
        set_open_job(None)
        st.rerun()


def reading_grade(job: dict[str, Any]) -> str | None:
    """The grade level asked for (EduSmart's upload) beside the source's measured one."""
    asked, measured = job.get("grade_level"), job.get("reading_grade")
    parts = [f"Asked for: {asked}"] if asked else []
    if measured is not None:
        parts.append(f"the text reads at grade {measured:.1f}")
    return " · ".join(parts) + " (the text is read as written)" if parts else None


def _stale_queued(answer: dict[str, Any]) -> str:
    return f"A new take is queued for each of {answer['queued']} stale scenes."


def _voice_label(voice: str | None) -> str:
    return "built-in" if voice in (None, "builtin") else voice


def _progress(job: dict[str, Any]) -> None:
    progress = job["progress"]
    total, done = progress["total"], progress["completed"]
    reading = _extracting(job)
    fraction = done / total if total else 0.0
    text = f"{done} of {total}{'+' if reading else ''} scenes narrated"
    if progress["failed"]:
        text += f" · {progress['failed']} failed"
    eta = estimate_seconds_left(job)
    if eta is not None and job["status"] not in TERMINAL:
        text += f" · {fmt.time_left(eta)} left"
    st.progress(fraction, text=text)
    if reading:
        pages = f" of {job['total_pages']}" if job.get("total_pages") else ""
        st.caption(f"Still reading the document{pages}; more scenes will appear.")


def estimate_seconds_left(job: dict[str, Any]) -> float | None:
    """Mean wall time of the last finished scenes times the scenes still to go."""
    spans = []
    for scene in job.get("scenes", []):
        start, end = fmt.parse_time(scene.get("started_at")), fmt.parse_time(scene["finished_at"])
        if scene["audio_status"] == "completed" and start and end:
            spans.append((end - start).total_seconds())
    remaining = job["progress"]["pending"] + job["progress"]["processing"]
    if not spans or not remaining:
        return None
    return mean(spans[-20:]) * remaining


def _downloads(api: StudioApi, job: dict[str, Any]) -> None:
    if job["status"] != "completed":
        return
    total = sum(s.get("duration_seconds") or 0 for s in job.get("scenes", []))
    st.success(f"The narration is ready: {fmt.duration(total)} of audio.", icon=":material/done:")
    name = _file_stem(job["title"])
    for column, (kind, mime) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS.items(), strict=True):
        column.download_button(
            f"Download {kind.upper()}",
            data=lambda kind=kind: api.job_audio(job["id"], kind),
            file_name=f"{name}.{kind}",
            mime=mime,
            help=DOWNLOAD_HELP.get(kind),
            key=f"job_download_{kind}",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )
    _report(api, job)
    readalong.render(api, job)
    job_cover.render(api, job)


def _report(api: StudioApi, job: dict[str, Any]) -> None:
    """The mastering report as a small table: one row per chapter, each figure with its verdict."""
    try:
        report = api.job_report(job["id"])
    except ApiError as error:
        show_error(error)
        return
    verdict = "passes" if report["passed"] else "does not pass"
    st.caption(
        f"Mastering ({report['mastering']}): the narration {verdict} the audiobook-store rules."
    )
    rows = []
    for part in report["parts"]:
        marks = {c["rule"]: "✓" if c["passed"] else "✗" for c in part["checks"]}
        rows.append(
            {
                "Chapter": part["title"] or "(whole)",
                "LUFS": part["loudness_lufs"],
                f"RMS dBFS {marks['rms']}": part["rms_dbfs"],
                f"Peak dBTP {marks['true_peak']}": part["true_peak_dbtp"],
                f"Noise dBFS {marks['noise_floor']}": part["noise_floor_dbfs"],
                f"Head s {marks['head_room_tone']}": part["head_seconds"],
                f"Tail s {marks['tail_room_tone']}": part["tail_seconds"],
            }
        )
    st.dataframe(rows, hide_index=True)


def _scenes(api: StudioApi, job: dict[str, Any]) -> None:
    scenes = job.get("scenes", [])
    if not scenes and not _extracting(job):
        return
    if not scenes:
        with st.container(border=True):
            st.skeleton(height=80)
            st.caption("Reading the first page…")
        return
    pages = max(1, -(-len(scenes) // SCENES_PER_PAGE))
    page = 1
    if pages > 1:
        page = st.pagination(pages, key=f"scene_page_{job['id']}")
    first = (page - 1) * SCENES_PER_PAGE
    for scene in scenes[first : first + SCENES_PER_PAGE]:
        _scene(api, job, scene)


def _scene(api: StudioApi, job: dict[str, Any], scene: dict[str, Any]) -> None:
    index, status = scene["idx"], scene["audio_status"]
    with st.container(border=True, key=f"scene_{index}"):
        where = f" · page {scene['page']}" if scene.get("page") else ""
        chapter = f" · {scene['chapter']}" if scene.get("chapter") else ""
        match = voice_match(scene) if status == "completed" else None
        badges = scene_editor.badges(scene)
        st.markdown(
            f"**Scene {index}**{where}{chapter}{f' · {match}' if match else ''}"
            + (f" {badges}" if badges else "")
        )
        if status == "completed":
            _completed_scene(api, job, scene)
            take_picker.render(api, job, scene)
        elif status == "failed":
            st.error(scene.get("error_message") or "This scene failed.", icon=":material/error:")
            st.caption(scene["text"][:300])
        else:
            st.skeleton(height=54)
            label = "Narrating now…" if status == "processing" else "Waiting its turn"
            st.caption(f"{label} — {fmt.snippet(scene['text'])}")
        if status != "processing":
            scene_editor.editor(api, job, scene)


def voice_match(scene: dict[str, Any]) -> str | None:
    """The speaker check's verdict on a scene, as "voice match 0.91": flagged in orange below the
    server's minimum (stored with the scene), with the takes it needed; None when unchecked."""
    similarity = scene.get("speaker_similarity")
    if similarity is None:
        return None
    quality = scene.get("quality") or {}
    text = f"voice match {similarity:.2f}"
    bar = quality.get("speaker_min_similarity")
    if bar is not None and similarity < bar:
        text = f":orange[:material/warning: {text}, below {bar:.2f}]"
    takes = quality.get("takes", 1)
    return f"{text} · best of {takes} takes" if takes > 1 else text


def _completed_scene(api: StudioApi, job: dict[str, Any], scene: dict[str, Any]) -> None:
    index = scene["idx"]
    stamp = f"{scene.get('finished_at') or ''}|{scene.get('take')}"  # a new take: new bytes
    has_image = scene.get("image_status") == "completed" and bool(scene.get("image_path"))
    # Page images are a PDF's; a scene of an e-book or document shows its chapter's title.
    reflowable = (job.get("source_format") or "pdf") != "pdf" and job["source_kind"] == "pdf"
    if has_image:
        image_column, body = st.columns([1, 2])
        image = _image(api, job["id"], index, stamp)
        if image:
            image_column.image(image, caption=f"Page {scene.get('page')}")
    elif reflowable and scene.get("chapter"):
        card, body = st.columns([1, 2])
        with card.container(border=True, key=f"chapter_card_{index}"):
            st.markdown(f"**{fmt.escape(scene['chapter'])}**")
            st.caption(job["title"])
    else:
        body = st.container()
    audio = _audio(api, job["id"], index, stamp)
    with body:
        scene_editor.text(scene, 400)
        if audio is None:
            st.warning(
                "The audio of this scene could not be fetched; reload the page to try again."
            )
            return
        st.audio(audio, format="audio/wav")
        st.download_button(
            "Download scene",
            data=audio,
            file_name=f"{_file_stem(job['title'])}-scene-{index:04d}.wav",
            mime="audio/wav",
            key=f"scene_download_{index}",
            icon=":material/download:",
            on_click="ignore",
        )


@st.cache_data(max_entries=400, show_spinner=False)
def _scene_audio(base_url: str, job_id: str, index: int, stamp: str, _api: StudioApi) -> bytes:
    return _api.scene_audio(job_id, index)


@st.cache_data(max_entries=400, show_spinner=False)
def _scene_image(base_url: str, job_id: str, index: int, stamp: str, _api: StudioApi) -> bytes:
    return _api.scene_image(job_id, index)


def _audio(api: StudioApi, job_id: str, index: int, stamp: str) -> bytes | None:
    try:  # a finished scene never changes, so its bytes are fetched once
        return _scene_audio(api.base_url, job_id, index, stamp, api)
    except ApiError:
        return None


def _image(api: StudioApi, job_id: str, index: int, stamp: str) -> bytes | None:
    try:
        return _scene_image(api.base_url, job_id, index, stamp, api)
    except ApiError:
        return None


def _file_stem(title: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_ " else "_" for c in title).strip()
    return stem.replace(" ", "_")[:60] or "narration"

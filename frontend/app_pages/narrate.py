"""Narrate: a document (PDF, EPUB, DOCX, ...) or a text becomes a narration job; the open job is
shown from the URL's ?job=."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from frontend import job_view, model_picker
from frontend.api_client import ApiError
from frontend.languages import language_choice
from frontend.model_traits import Traits, tag_speaker
from frontend.notices import show_error, too_large
from frontend.state import client, health, limits, open_job, set_open_job
from frontend.tag_palette import palette, will_remove
from frontend.voice_controls import delivery, voice_choice

CHARS_PER_SECOND = 15  # typical narration pace, for the length estimate only


def page() -> None:
    st.title("Narrate")
    job_id = open_job()
    if job_id and job_view.render(job_id):
        return
    st.caption(
        "Turn a PDF, an e-book, a document or a text into narration. Scene 1 plays while the rest "
        "is being made."
    )
    try:
        voices = client().voices()
    except ApiError as error:
        show_error(error)
        return
    source = st.segmented_control(
        "Source", ["PDF", "Text"], default="PDF", key="narrate_source", required=True
    )
    traits = model_picker.chosen_traits()
    request = _pdf_source() if source == "PDF" else _text_source(traits)
    st.text_input("Title (optional)", key="narrate_title", max_chars=200)
    language = language_choice(traits.languages, "narrate", detect=True)
    voice = voice_choice(voices, "narrate")
    engine = (health() or {}).get("engine")
    params = delivery(engine, "narrate", traits.ignored_params, traits.title)
    params["mastering"] = st.segmented_control(
        "Mastering",
        ["standard", "audiobook"],
        default="standard",
        key="narrate_mastering",
        required=True,
        help="audiobook: room tone, RMS and true peak to the audiobook-store rules.",
    )
    ready = request is not None and voice is not None
    start = st.button(
        "Generate narration", type="primary", disabled=not ready, icon=":material/play_arrow:"
    )
    if start:
        model = model_picker.chosen()
        _start({**(request or {}), "model": model, "language": language}, voice, params)


# What the server reads (backend.jobs.formats.SUFFIXES; the studio never imports the backend).
DOCUMENT_SUFFIXES = (
    "pdf", "epub", "mobi", "azw", "azw3", "prc", "fb2", "docx",
    "md", "markdown", "html", "htm", "xhtml", "txt", "text",
)  # fmt: skip


def _pdf_source() -> dict[str, Any] | None:
    limit = limits()
    upload = st.file_uploader(
        "Document (PDF, EPUB, MOBI, FB2, DOCX, Markdown, HTML or text)",
        type=list(DOCUMENT_SUFFIXES),
        key="narrate_pdf",
        max_upload_size=max(1, int(limit["max_upload_mb"])),
        help=f"Up to {limit['max_upload_mb']} MB, the server's limit.",
    )
    pages = st.text_input(
        "Pages (optional)",
        key="narrate_pages",
        placeholder="All pages — or e.g. 1-10, 12",
        help="Page numbers as printed by your PDF reader, counting from 1. An e-book or document "
        "is laid out into pages first; the preview shows how many.",
    ).strip()
    if upload is None:
        return None
    data = upload.getvalue()
    error = too_large(len(data), limit["max_upload_bytes"], "pdf")
    if error:
        show_error(error)
        return None
    digest = hashlib.sha256(data).hexdigest()
    password = None
    if st.session_state.get("_pdf_locked") == digest:  # asked once the server said it is locked
        password = st.text_input("PDF password", type="password", key="narrate_password") or None
    preview = _preview(digest, upload.name, data, pages or None, password)
    if isinstance(preview, ApiError):
        if preview.code == "document_encrypted" and st.session_state.get("_pdf_locked") != digest:
            st.session_state["_pdf_locked"] = digest
            st.rerun()
        show_error(preview)
        return None
    _show_preview(preview)
    return {"pdf": (upload.name, data), "pages": pages or None, "password": password}


def _preview(digest: str, name: str, data: bytes, pages: str | None, password: str | None):
    """The server's preview of the first selected pages, asked once per file, range and password."""
    key = f"{digest}|{pages}|{password}"
    cache = st.session_state.setdefault("_pdf_previews", {})
    if key not in cache:
        try:
            with st.spinner("Reading the document…"):
                cache[key] = client().preview_pdf(name, data, pages, password)
        except ApiError as error:
            return error  # not cached: a restarted server or a new password may succeed
    return cache[key]


def _show_preview(preview: dict[str, Any]) -> None:
    selected, count = preview["selected_pages"], preview["page_count"]
    st.caption(f"{selected} of {count} pages selected.")
    book = [preview.get("title"), preview.get("author") and f"by {preview['author']}"]
    if any(book):
        st.caption(" ".join(part for part in book if part))
    if preview.get("chapters"):
        titles = [chapter["title"] for chapter in preview["chapters"]]
        st.caption(f"{len(titles)} chapters: " + " · ".join(titles[:12]))
    with st.expander("Extracted text (what will be read)", expanded=True):
        for page in preview["pages"]:
            st.markdown(f"**Page {page['number']}**")
            st.text(page["text"] or "(no text on this page)")
        if preview.get("truncated"):
            st.caption("Only the first pages are shown here; the narration reads them all.")


def _text_source(traits: Traits) -> dict[str, Any] | None:
    limit = limits()["max_job_chars"]
    if traits.tags != ():
        text_column, tag_column = st.columns([3, 1])
        with tag_column:
            palette(traits, "narrate_text", limit)
    else:
        text_column = st.container()
    text = text_column.text_area(
        "Text",
        key="narrate_text",
        height=240,
        max_chars=limit,
        placeholder="Paste the text to narrate…",
    )
    if not text.strip():
        return None
    will_remove(text, traits, tag_speaker(health()))
    minutes = len(text) / CHARS_PER_SECOND / 60
    st.caption(f"{len(text):,} characters, roughly {max(1, round(minutes))} min of narration.")
    return {"text": text}


def _start(request: dict[str, Any], voice: str | None, params: dict[str, Any]) -> None:
    title = st.session_state.get("narrate_title") or None
    try:
        with st.spinner("Starting…"):
            job = client().create_job(**request, title=title, voice=voice, params=params)
    except ApiError as error:
        show_error(error)
        return
    set_open_job(job["id"])
    st.rerun()


page()

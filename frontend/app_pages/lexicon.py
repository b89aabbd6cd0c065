"""Lexicon: how the narrator says a word (a respelling, and for Piper phonemes), everywhere or
in one job; Audition speaks a sentence with an entry before it is saved. Saving or removing an
entry makes the spoken scenes with that word stale: regenerate them from their job."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_client import ApiError
from frontend.api_protocol import Speech, StudioApi
from frontend.notices import act, show_error
from frontend.state import client

EVERYWHERE = ""  # the scope choice of the global lexicon
AUDITION_KEY = "lexicon_audition"  # (word, Speech) of the last audition
FIELDS = ("lexicon_word", "lexicon_respelling", "lexicon_phonemes")


def page() -> None:
    st.title("Lexicon")
    st.caption(
        "Teach the narrator a word: write how it sounds (“Nguyen” as “win”), or give Piper its "
        "phonemes. A job's own entry wins over one for every job."
    )
    api = client()
    try:
        jobs = api.jobs()
    except ApiError as error:
        show_error(error)
        return
    titles = {job["id"]: job["title"] for job in jobs}
    scope = st.selectbox(
        "Applies to",
        [EVERYWHERE, *titles],
        format_func=lambda value: f"Job: {titles[value]}" if value else "Every job",
        key="lexicon_scope",
    )
    job_id = scope or None
    try:
        entries = api.lexicon(job_id)["entries"]
    except ApiError as error:
        show_error(error)
        return
    voice = next((job.get("voice") for job in jobs if job["id"] == job_id), None)
    _form(api, job_id, voice)
    _entries(api, job_id, entries)


def _form(api: StudioApi, job_id: str | None, voice: str | None) -> None:
    with st.container(border=True, key="lexicon_form"):
        word = st.text_input("Word", key="lexicon_word", max_chars=100).strip()
        respelling = st.text_input(
            "Say it as", key="lexicon_respelling", max_chars=200, help="A respelling, e.g. win."
        ).strip()
        phonemes = st.text_input(
            "Phonemes (optional, Piper)",
            key="lexicon_phonemes",
            max_chars=200,
            help="IPA phonemes as Piper's espeak-ng voices read them; used instead of the "
            "respelling by Piper.",
        ).strip()
        sentence = st.text_input(
            "Sentence to audition (optional)",
            key="lexicon_sentence",
            max_chars=500,
            placeholder="A sentence around the word is made up if this is empty.",
        ).strip()
        ready = bool(word) and bool(respelling or phonemes)
        bar = st.container(horizontal=True)
        audition = bar.button(
            "Audition", key="lexicon_audition_button", icon=":material/hearing:", disabled=not ready
        )
        save = bar.button(
            "Save entry", key="lexicon_save", type="primary", icon=":material/save:",
            disabled=not ready,
        )  # fmt: skip
        if audition:
            _audition(api, word, respelling, phonemes, sentence, voice)
        if save:
            put = api.put_lexicon_entry
            act(lambda: put(word, respelling or None, phonemes or None, job_id), _saved)
        heard = st.session_state.get(AUDITION_KEY)
        if heard is not None:
            st.caption(f"How “{heard[0]}” sounds with this entry:")
            st.audio(heard[1].audio, format="audio/wav")


def _audition(
    api: StudioApi, word: str, respelling: str, phonemes: str, sentence: str, voice: str | None
) -> None:
    try:
        with st.spinner("Speaking…"):
            speech: Speech = api.audition(
                word, respelling or None, phonemes or None, sentence or None, voice
            )
    except ApiError as error:
        st.session_state.pop(AUDITION_KEY, None)
        show_error(error)
        return
    st.session_state[AUDITION_KEY] = (word, speech)


def _entries(api: StudioApi, job_id: str | None, entries: list[dict[str, Any]]) -> None:
    if not entries:
        st.caption("No entries yet." if job_id is None else "This job has no entries of its own.")
        return
    st.subheader("Entries")
    for entry in entries:
        name = _key(entry["word"])
        with st.container(border=True, key=f"lexicon_entry_{name}"):
            said = entry.get("respelling") or "—"
            st.markdown(f"**{fmt.escape(entry['word'])}** → {fmt.escape(said)}")
            phonemes = f"phonemes /{entry['phonemes']}/ · " if entry.get("phonemes") else ""
            st.caption(f"{phonemes}changed {fmt.when(entry.get('updated_at'))}")
            bar = st.container(horizontal=True)
            bar.button(
                "Change", key=f"lexicon_change_{name}", icon=":material/edit:",
                on_click=_load, args=(entry,),
            )  # fmt: skip
            if bar.button("Remove", key=f"lexicon_remove_{name}", icon=":material/delete:"):
                word = entry["word"]
                act(lambda word=word: api.delete_lexicon_entry(word, job_id), _removed)


def _load(entry: dict[str, Any]) -> None:
    """Put an entry into the form (a callback: it runs before the form's widgets are drawn)."""
    values = (entry["word"], entry.get("respelling") or "", entry.get("phonemes") or "")
    st.session_state.update(zip(FIELDS, values, strict=True))
    st.session_state.pop(AUDITION_KEY, None)


def _saved(answer: dict[str, Any]) -> str:
    return f"Saved “{answer['entry']['word']}”.{_stale(answer['stale_scenes'])}"


def _removed(answer: dict[str, Any]) -> str:
    return f"Removed “{answer['deleted']}”.{_stale(answer['stale_scenes'])}"


def _stale(count: int) -> str:
    if not count:
        return ""
    scenes = "1 spoken scene is" if count == 1 else f"{count} spoken scenes are"
    return f" {scenes} now stale: “Regenerate stale scenes” in the job re-makes them."


def _key(word: str) -> str:
    """A widget key for a word (keys become CSS classes: letters, digits and _ only)."""
    return re.sub(r"\W", "_", word.lower(), flags=re.ASCII) + f"_{sum(map(ord, word))}"


page()

"""Bracketed tags ([laugh], [sigh]...) beside a text box: a button per tag the model speaks, and
what the server says when a model that would read them aloud has had them removed.

Streamlit's text area does not expose its cursor, so a tag is added at the end of the text;
the user moves it where it belongs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from frontend.model_traits import Traits

# What the server counts as a tag (backend/text/tags.py): a word or words in brackets.
TAG = re.compile(r"\[[A-Za-z][A-Za-z ]{0,30}\]")


def palette(traits: Traits, text_key: str, max_chars: int) -> None:
    """The tag buttons for `traits`' model, each adding its tag to the text box `text_key`
    (whose limit is `max_chars`: a tag that would pass it is not added)."""
    if traits.tags is None:
        st.caption(
            f"{traits.title} speaks bracketed tags such as [laugh]; they are listed here once "
            "the server has loaded it."
        )
        return
    if not traits.tags:
        return
    st.caption("Tags: each click adds one at the end of the text (move it where it belongs).")
    for tag in traits.tags:
        st.button(
            tag,
            key=f"{text_key}_tag_{tag}",
            on_click=_append,
            args=(text_key, tag, max_chars),
            type="tertiary",
        )


def _append(text_key: str, tag: str, max_chars: int) -> None:
    text = str(st.session_state.get(text_key) or "").rstrip()
    longer = f"{text} {tag}" if text else tag
    if len(longer) > max_chars:  # the text box would cut it off
        st.toast(f"The text is at its limit of {max_chars:,} characters; {tag} was not added.")
        return
    st.session_state[text_key] = longer


def tags_in(text: str) -> list[str]:
    """The tags written in `text`, each once, in order."""
    return list(dict.fromkeys(TAG.findall(text)))


def removed_notice(removed: Sequence[str], title: str, speaker: str | None) -> None:
    """The server's X-Tags-Removed: the tags it took out because `title` would read them aloud;
    `speaker`: the server's model that speaks tags, if it has one."""
    if removed:
        st.info(
            f"Left out {', '.join(removed)}: {title} would read tags aloud.{_offer(speaker)}",
            icon=":material/label_off:",
        )


def will_remove(text: str, traits: Traits, speaker: str | None) -> None:
    """Before a job starts: the tags in the text that a model without tags will leave out."""
    found = tags_in(text)
    if found and traits.tags == ():
        st.caption(
            f"{traits.title} would read {', '.join(found)} aloud, so the server leaves "
            f"{'it' if len(found) == 1 else 'them'} out.{_offer(speaker)}"
        )


def _offer(speaker: str | None) -> str:
    return f" {speaker} speaks tags: choose it in the sidebar." if speaker else ""

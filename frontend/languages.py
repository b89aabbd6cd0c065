"""The languages a model speaks, by name, and the select box that picks one for a request.

The studio cannot import the server, so the names of the Multilingual model's 23 codes live
here; the codes a model speaks always come from the server (/health's `languages`).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

DETECT = "detect"  # a job's default: the server detects the text's language
NAMES = {
    "ar": "Arabic",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tr": "Turkish",
    "zh": "Chinese",
}
ACCENT = (
    "A voice recorded in one language carries its accent into another. To keep it out, set "
    "CFG weight to 0 (in Delivery settings): the voice's timbre stays, its accent goes."
)


def label(code: str) -> str:
    """'German (de)'; a code the table lacks reads as itself."""
    if code == DETECT:
        return "Detect from the text"
    name = NAMES.get(code)
    return f"{name} ({code})" if name else code


def language_choice(languages: Sequence[str], key: str, detect: bool) -> str | None:
    """A select box of `languages` when the model speaks more than one; the code to send.

    With `detect` (jobs) the first choice is to let the server detect it, sent as None;
    otherwise English comes first. A model of one language shows nothing and sends None.
    """
    if len(languages) < 2:
        return None
    codes = sorted(languages, key=lambda code: NAMES.get(code, code))
    if "en" in codes:  # the likeliest one first
        codes.remove("en")
        codes.insert(0, "en")
    options = [DETECT, *codes] if detect else codes
    choice = st.selectbox(
        "Language",
        options,
        format_func=label,
        key=f"{key}_language",
        help="The language the text is written in.",
    )
    st.caption(ACCENT)
    return None if choice == DETECT else choice


UNSAID = "unsaid"


def voice_language(key: str, current: str | None = None) -> str | None:
    """The language a voice's recording is in (optional): the Multilingual model keeps that
    accent out of other languages by speaking them with CFG weight 0. The code to send;
    `current` (a voice's language, None: not said) is chosen first."""
    codes = sorted(NAMES, key=NAMES.__getitem__)
    if current is not None and current not in codes:  # one this table lacks stays choosable
        codes.append(current)
    options = [UNSAID, *codes]
    choice = st.selectbox(
        "Language of the recording",
        options,
        index=options.index(current or UNSAID),
        format_func=lambda code: "Not said" if code == UNSAID else label(code),
        key=f"{key}_voice_language",
        help="Lets the Multilingual model keep this voice's accent out of other languages.",
    )
    return None if choice == UNSAID else choice

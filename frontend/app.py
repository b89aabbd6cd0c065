"""Chatterbox Studio's entry point: `streamlit run frontend/app.py` (the start scripts do this)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# Streamlit puts frontend/ itself on sys.path; the studio imports itself as the `frontend` package.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from frontend import exposure, sidebar  # noqa: E402

st.set_page_config(page_title="Chatterbox Studio", page_icon=":material/graphic_eq:", layout="wide")
exposure.guard()  # nothing is shown beyond this machine without a token

PAGES = [
    st.Page("app_pages/narrate.py", title="Narrate", icon=":material/menu_book:", default=True),
    st.Page("app_pages/voices.py", title="Voices", icon=":material/record_voice_over:"),
    st.Page("app_pages/quick_speak.py", title="Quick speak", icon=":material/campaign:"),
    st.Page("app_pages/revoice.py", title="Re-voice a recording", icon=":material/swap_horiz:"),
    st.Page("app_pages/jobs.py", title="Jobs", icon=":material/history:"),
    st.Page("app_pages/lexicon.py", title="Lexicon", icon=":material/spellcheck:"),
]

navigation = st.navigation(PAGES)
sidebar.render()
navigation.run()

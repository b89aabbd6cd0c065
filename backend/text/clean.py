"""Cleaning a request's text before it is spoken: one rule for /tts, /v1 and narration jobs."""

from __future__ import annotations

import unicodedata

from backend.core.errors import TextEmpty, TextTooLong


def clean_text(text: str, max_chars: int) -> str:
    """NFC-normalised text without control characters; raises for empty or oversized text."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    if not text.strip():
        raise TextEmpty()
    if len(text) > max_chars:
        raise TextTooLong(
            f"The text has {len(text)} characters; one request takes at most {max_chars}."
        )
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        # Emoji, symbols, punctuation or invisible marks only: an engine would speak silence.
        raise TextEmpty(
            "The text has no letters or digits, so there is nothing to speak "
            "(emoji, symbols and punctuation alone are not read aloud)."
        )
    return text

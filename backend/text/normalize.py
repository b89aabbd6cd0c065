"""The text as a narrator speaks it, in the job's language: addresses in words
(backend.text.normalize_web), then for English the forms of backend.text.normalize_en, then the
numbers that remain in words of the language (backend.text.numbers, which leaves a language
without a reading as written). The original text is never changed; this makes the spoken one.
"""

from __future__ import annotations

from backend.text.normalize_en import normalize_english
from backend.text.normalize_web import speak_addresses
from backend.text.numbers import spell_numbers


def normalize(text: str, language: str | None = None) -> str:
    """`text` as spoken in `language` (ISO 639-1; None is English). Deterministic, no I/O,
    safe from any thread; normalising twice gives what normalising once gave."""
    code = (language or "en").strip().lower()
    text = speak_addresses(text, code)
    if code == "en":
        text = normalize_english(text)
    return spell_numbers(text, code)

"""Web addresses and e-mail addresses read aloud the way people say them: "www.example.com/
shop" -> "w w w dot example dot com slash shop", "jane.doe@example.org" -> "jane dot doe at
example dot org", in the words of the job's language (those in WORDS; others are left as
written). The scheme ("https://") and a trailing slash are not read.
"""

from __future__ import annotations

import re

# Per language: the words for . / @ - _ : and +.
WORDS: dict[str, dict[str, str]] = {
    "en": {".": "dot", "/": "slash", "@": "at", "-": "dash", "_": "underscore", ":": "colon",
           "+": "plus"},
    "de": {".": "Punkt", "/": "Schrägstrich", "@": "at", "-": "Bindestrich",
           "_": "Unterstrich", ":": "Doppelpunkt", "+": "plus"},
    "fr": {".": "point", "/": "barre oblique", "@": "arobase", "-": "tiret", "_": "tiret bas",
           ":": "deux-points", "+": "plus"},
    "es": {".": "punto", "/": "barra", "@": "arroba", "-": "guion", "_": "guion bajo",
           ":": "dos puntos", "+": "más"},
    "it": {".": "punto", "/": "barra", "@": "chiocciola", "-": "trattino",
           "_": "trattino basso", ":": "due punti", "+": "più"},
    "pt": {".": "ponto", "/": "barra", "@": "arroba", "-": "hífen", "_": "sublinhado",
           ":": "dois pontos", "+": "mais"},
    "nl": {".": "punt", "/": "schuine streep", "@": "apenstaartje", "-": "streepje",
           "_": "underscore", ":": "dubbele punt", "+": "plus"},
}  # fmt: skip

_TLDS = "com|org|net|edu|gov|io|co|uk|de|fr|es|it|nl|eu|info|dev|ai|app"
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<!\.)")
URL = re.compile(
    r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"']+?(?=[.,;:!?)\]]*(?:\s|$))"
    rf"|(?<![\w@./-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})(?:/[^\s<>\"']*?)?"
    r"(?=[.,;:!?)\]]*(?:\s|$))"
)
_SEPARATORS = re.compile(r"[./@_:+-]")


def speak_addresses(text: str, language: str) -> str:
    """`text` with its e-mail and web addresses in words; unchanged for a language not in
    WORDS."""
    words = WORDS.get(language)
    if words is None:
        return text
    text = EMAIL.sub(lambda m: _spoken(m.group(), words), text)
    return URL.sub(lambda m: _spoken(_bare(m.group()), words), text)


def _bare(url: str) -> str:
    """The address without its scheme and trailing slash; "www" as its letters."""
    url = re.sub(r"^https?://", "", url).rstrip("/")
    return re.sub(r"^www\.", "w w w.", url)


def _spoken(address: str, words: dict[str, str]) -> str:
    spoken = _SEPARATORS.sub(lambda m: f" {words[m.group()]} ", address)
    return " ".join(spoken.split())

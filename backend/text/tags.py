"""TEMP (replaced by the text helper's module)."""

from __future__ import annotations

import re

TAG = re.compile(r"\[([A-Za-z][A-Za-z ]{0,30})\]")


def find_tags(text):
    return [m.group(0) for m in TAG.finditer(text)]


def unknown_tags(text, known):
    k = {t.lower() for t in known}
    out = []
    for t in find_tags(text):
        if t.lower() not in k and t not in out:
            out.append(t)
    return out


def strip_tags(text, keep=()):
    kept = {t.lower() for t in keep}
    found = [t for t in find_tags(text) if t.lower() not in kept]
    out = TAG.sub(lambda m: m.group(0) if m.group(0).lower() in kept else "", text)
    out = re.sub(r"\s+", " ", out).replace(" .", ".").strip()
    return out, found

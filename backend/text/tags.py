"""Paralinguistic tags in a text: `[laugh]`, `[clear throat]`, the cues Chatterbox Turbo reads.

A tag is an opening bracket, one to three words of letters (any script, any case) joined by a
space, hyphen or underscore, and a closing bracket, with no space inside the brackets. So
`[laugh]`, `[Clear throat]`, `[rires]` and `[sic]` are tags (an editor's `[sic]` is a tag no
model knows: `unknown_tags` reports it), while footnote markers (`[1]`, `[12a]`), citations
(`[Smith 2020]`), padded brackets (`[ laugh ]`), editorial notes with punctuation (`[Ed.: ...]`)
and Markdown link texts (`[here](https://...)`) are not, and stay in the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TAG = re.compile(r"\[[^\W\d_]+(?:[ _-][^\W\d_]+){0,2}\](?!\()")
# One or more tags with the blanks around and between them: what strip_tags takes out at once;
# `line` when they are all of a line, which goes with one of its newlines.
_RUN = rf"[ \t]*{TAG.pattern}(?:[ \t]*{TAG.pattern})*[ \t]*"
_TAG_RUN = re.compile(rf"(?P<line>\A{_RUN}(?:\n|\Z)|\n{_RUN}(?=\n|\Z))|{_RUN}")
# Where a removed tag needs no space in its place: after these, and before those.
_OPENING = "([{«¿¡\u201c\u2018\u201e"  # with the curly opening quotes
_CLOSING = ".,;:!?…)]}»\u201d\u2019"  # with the curly closing quotes
_QUOTES = "\"'"


def find_tags(text: str) -> list[str]:
    """The tags in `text` in order, each as written (`"[Laugh]"`), repeats included."""
    return TAG.findall(text)


def tag_name(tag: str) -> str:
    """The comparable name of a tag, with or without its brackets: `"[Laugh]"` -> `"laugh"`."""
    return tag.strip().removeprefix("[").removesuffix("]").strip().casefold()


def unknown_tags(text: str, known: Iterable[str]) -> list[str]:
    """The tags in `text` that are not in `known`, each once, in order of first appearance.

    The comparison ignores case; `known` may name tags with or without brackets ("laugh" or
    "[laugh]"). A tag is reported as first written; later spellings of it are not repeated.
    """
    names = {tag_name(tag) for tag in known}
    seen: set[str] = set()
    unknown: list[str] = []
    for tag in find_tags(text):
        name = tag_name(tag)
        if name not in names and name not in seen:
            seen.add(name)
            unknown.append(tag)
    return unknown


def strip_tags(text: str, keep: Iterable[str] = ()) -> tuple[str, list[str]]:
    """`text` without its tags, and the tags removed (as `find_tags` gives them, in order).

    Tags named in `keep` (compared as in `unknown_tags`) stay where they are: keeping a model's
    known tags removes only the unknown ones. Only the places where tags were removed change: a
    run of tags and the blanks around it becomes one space, or nothing at the start or end of a
    line, after an opening bracket or quote, and before punctuation or a closing bracket or
    quote ("Hi [laugh]." -> "Hi."); a line of nothing but removed tags goes, with its newline,
    so no paragraph break appears. Other newlines and spacing (a French " ?") are kept, and the
    result is not stripped further.
    """
    kept_names = {tag_name(tag) for tag in keep}
    removed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        tags = TAG.findall(run)
        kept = [tag for tag in tags if tag_name(tag) in kept_names]
        removed.extend(tag for tag in tags if tag_name(tag) not in kept_names)
        if len(kept) == len(tags):
            return run
        if kept:
            return _edge(run[:1]) + " ".join(kept) + _edge(run[-1:])
        if match.group("line") is not None:
            return ""
        source, start, end = match.string, match.start(), match.end()
        before = source[start - 1] if start > 0 else "\n"
        after = source[end] if end < len(source) else "\n"
        if before == "\n" or after == "\n" or before in _OPENING or after in _CLOSING:
            return ""
        if before in _QUOTES and _opens(source, start - 1):
            return ""
        if after in _QUOTES and not _opens(source, end):
            return ""
        return " "

    return _TAG_RUN.sub(replace, text), removed


def _edge(char: str) -> str:
    """What a run of tags keeps of its first or last character when some of its tags stay."""
    return "\n" if char == "\n" else " " if char in (" ", "\t") else ""


def _opens(source: str, index: int) -> bool:
    """Whether the straight quote at `index` opens a quotation (nothing but a blank before it)."""
    return index == 0 or source[index - 1].isspace() or source[index - 1] in _OPENING

"""Finding things on an AppTest page by what the user reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def values(elements: Iterable[Any]) -> list[str]:
    return [element.value for element in elements]


def text_of(elements: Iterable[Any]) -> str:
    """Every value, one a line, for `in` checks of text that is built from several parts."""
    return "\n".join(str(element.value) for element in elements)


def labelled(widgets: Iterable[Any], label: str) -> Any:
    """The one widget with this label (a button, a download button, an input)."""
    found = [widget for widget in widgets if widget.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}"
    return found[0]


def labels(widgets: Iterable[Any]) -> list[str]:
    return [widget.label for widget in widgets]


def card(at: Any, heading: str) -> Any:
    """The innermost container holding a markdown line that starts with `heading`."""
    holders = [
        block
        for block in at.main.container
        if any(str(line.value).startswith(heading) for line in block.markdown)
    ]
    assert holders, f"no container shows {heading!r}"
    return min(holders, key=lambda block: len(list(block)))

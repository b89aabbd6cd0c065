"""Scenes from extracted text: engine-sized pieces of a page (and where they sit) or of a text."""

from __future__ import annotations

from typing import Any

from backend.jobs.pdf import Block, Page
from backend.text.chunking import split_text

BBox = tuple[float, float, float, float]


def _union(a: BBox | None, b: BBox) -> BBox:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def scenes_from_page(page: Page, max_chars: int) -> list[dict[str, Any]]:
    """Pack the page's sentence chunks into scenes of at most max_chars, in reading order.

    A scene never crosses a page (so its image is one region of one page); short blocks such as
    headings are folded into the following text. Each scene's bbox covers the blocks it reads.
    """
    pieces: list[tuple[str, BBox]] = [
        (chunk, block.bbox) for block in page.blocks for chunk in split_text(block.text, max_chars)
    ]
    scenes: list[dict[str, Any]] = []
    text, bbox = "", None
    for chunk, chunk_box in pieces:
        if text and len(text) + 1 + len(chunk) > max_chars:
            scenes.append(_scene(text, bbox, page))
            text, bbox = "", None
        text = f"{text} {chunk}" if text else chunk
        bbox = _union(bbox, chunk_box)
    if text:
        scenes.append(_scene(text, bbox, page))
    return scenes


def scenes_from_text(text: str, max_chars: int) -> list[dict[str, Any]]:
    return [
        {"text": chunk, "page": None, "bbox": None, "chapter": None}
        for chunk in split_text(text, max_chars)
    ]


def _scene(text: str, bbox: BBox | None, page: Page) -> dict[str, Any]:
    return {
        "text": text,
        "page": page.number,
        "bbox": list(bbox) if bbox else None,
        "chapter": page.chapter,
    }


__all__ = ["Block", "scenes_from_page", "scenes_from_text"]

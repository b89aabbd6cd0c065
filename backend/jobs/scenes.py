"""Scenes from extracted text: engine-sized pieces of a page (and where they sit) or of a text."""

from __future__ import annotations

from typing import Any

from backend.jobs.pdf import Block, Page
from backend.text.chunking import split_text

BBox = tuple[float, float, float, float]
SENTENCE_ENDS = (".", "!", "?", "\u2026", ":", ";", '"', "'", "\u201d", "\u2019", ")")


def _union(a: BBox | None, b: BBox) -> BBox:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def scenes_from_page(page: Page, max_chars: int) -> list[dict[str, Any]]:
    """Pack the page's sentence chunks into scenes of at most max_chars, in reading order.

    A scene never crosses a page (so its image is one region of one page) nor a chapter (so a
    chapter marker falls on a scene's start); short blocks such as headings are folded into the
    following text. Each scene's bbox covers the blocks it reads, and its chapter is that of its
    blocks (the page's chapter where the reader did not mark them).
    """
    pieces: list[tuple[str, BBox, str | None]] = [
        (chunk, block.bbox, block.chapter or page.chapter)
        for block in page.blocks
        for chunk in split_text(_as_sentence(block, page), max_chars)
    ]
    scenes: list[dict[str, Any]] = []
    text, bbox, chapter = "", None, None
    for chunk, chunk_box, chunk_chapter in pieces:
        if text and (len(text) + 1 + len(chunk) > max_chars or chunk_chapter != chapter):
            scenes.append(_scene(text, bbox, page.number, chapter))
            text, bbox = "", None
        text = f"{text} {chunk}" if text else chunk
        bbox, chapter = _union(bbox, chunk_box), chunk_chapter
    if text:
        scenes.append(_scene(text, bbox, page.number, chapter))
    return scenes


def _as_sentence(block: Block, page: Page) -> str:
    """A block that is its chapter's title ends as a sentence: folded into the text after it,
    a heading without a full stop would run into the first sentence ("The Mill The river
    runs..."), spoken without a pause and timed as one sentence in the subtitles."""
    text = block.text.strip()
    title = (block.chapter or page.chapter or "").strip()
    if title and text == title and not text.endswith(SENTENCE_ENDS):
        return f"{text}."
    return block.text


def scenes_from_text(text: str, max_chars: int) -> list[dict[str, Any]]:
    return [
        {"text": chunk, "page": None, "bbox": None, "chapter": None}
        for chunk in split_text(text, max_chars)
    ]


def _scene(text: str, bbox: BBox | None, page: int, chapter: str | None) -> dict[str, Any]:
    return {"text": text, "page": page, "bbox": list(bbox) if bbox else None, "chapter": chapter}


__all__ = ["Block", "scenes_from_page", "scenes_from_text"]

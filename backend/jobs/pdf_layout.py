"""Turning PDF pages' text into clean blocks in reading order (runs in the extraction child).

For each page of clean_pages: parse_page turns spans into lines without footnote markers,
strip_edges drops running heads/feet and page numbers, and page_blocks puts blocks in reading
order (two columns are read left then right) and joins their lines into clean text, without
the footnote numbers glued to words in the body's own font ("Mendel.3 His") where the page
has that footnote.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pymupdf

from backend.core.errors import DocumentNoText

BBox = tuple[float, float, float, float]

# Ligatures are expanded by MuPDF and NFKC; images are not needed for text.
TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP

# Pages sampled (evenly across the selection) to find running heads before the first page is
# cleaned, and the time that sampling may take, so that the first page comes quickly.
SAMPLE_PAGES = 40
SAMPLE_SECONDS = 0.5
# A running head/foot sits in the first/last row of text, within this fraction of the page
# height from the edge; a second row counts only within the narrower band.
EDGE_BANDS = (0.20, 0.10)
# A line on this share of the sampled pages (and on at least MIN_REPEATS) is a running head.
REPEAT_SHARE = 0.5
MIN_REPEATS = 3
# A footnote marker is at most this fraction of its line's main font size.
MARKER_SIZE_RATIO = 0.85

# A footnote's own line, low on the page: "3 Mendel, G. (1866)", "3. See ...", "3) Ibid."
FOOTNOTE_TOP = 0.5  # it starts below this fraction of the page height
_FOOTNOTE_LINE = re.compile(r"\s*(\d{1,3})[.)]?\s+(?=[\"'(\u201c]?[A-Z])")
# A number glued to the end of a word, after any closing punctuation ("Mendel.3", "cells,12").
_GLUED = re.compile(
    r"(?<=[^\W\d_])(?P<mark>[.,;:!?)\]\"'\u201d\u2019]*)(?P<n>\d{1,3})(?=[\s.,;:!?)]|$)"
)
_MARKER = re.compile(r"[0-9*†‡§¶\u00b9\u00b2\u00b3\u2070-\u2079,]+")
_DIGITS = re.compile(r"\d+")
# "3", "- 3 -", "Page 3 of 9", "Seite 3" (digits are '#' by then) or a roman numeral like "xiv".
_PAGE_NUMBER = re.compile(
    r"[\W_]*(?:page|p\.|pg\.?|seite|s\.)?\s*#(?:\s*(?:/|of|von|de)\s*#)?[\W_]*"
    r"|(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
# Control, private-use and replacement characters: glyphs no voice can speak (a space, so the
# words around them stay apart).
_UNSPEAKABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")
_HYPHENS = "-\u2010\u00ad"
SIDES = ("left", "right")


@dataclass
class Line:
    text: str
    bbox: BBox
    size: float
    lead: int | None = None  # the footnote number it starts with, if it may be a footnote


@dataclass
class RawBlock:
    lines: list[Line]

    @property
    def bbox(self) -> BBox:
        x0s, y0s, x1s, y1s = zip(*(line.bbox for line in self.lines), strict=True)
        return min(x0s), min(y0s), max(x1s), max(y1s)


@dataclass
class ParsedPage:
    """Lines are in the unrotated page's space (text runs left to right there); `rotation`
    maps that space to the page as displayed, None when the page is not rotated."""

    height: float
    blocks: list[RawBlock] = field(default_factory=list)
    rotation: pymupdf.Matrix | None = None

    @property
    def lines(self) -> list[Line]:
        return [line for block in self.blocks for line in block.lines]

    @property
    def footnotes(self) -> set[int]:
        """The numbers of the footnotes on the page: lines low on the page, set no larger
        than the body text, that start with a number."""
        body = self.body_size
        return {
            line.lead
            for line in self.lines
            if line.lead is not None
            and line.bbox[1] >= FOOTNOTE_TOP * self.height
            and line.size <= body + 0.5
        }

    @property
    def body_size(self) -> float:
        """The font size carrying most characters on the page (0 for an empty page)."""
        sizes = Counter[float]()
        for line in self.lines:
            sizes[round(line.size, 1)] += len(line.text)
        return sizes.most_common(1)[0][0] if sizes else 0.0


def clean_pages(
    doc: pymupdf.Document, selection: list[int], outline_titles: set[str], edges: bool = True
) -> Iterator[tuple[int, list[tuple[str, BBox]]]]:
    """(page number, clean blocks) for each 1-based page in `selection`, in order. Raises
    DocumentNoText early when the sample taken for running heads was the whole selection and
    empty. `edges=False` keeps every line at the pages' edges (a laid-out e-book has no running
    heads, and its repeated "Chapter N" headings must stay)."""
    parsed: dict[int, ParsedPage] = {}
    deadline = time.monotonic() + SAMPLE_SECONDS
    for number in selection[:: max(1, math.ceil(len(selection) / SAMPLE_PAGES))]:
        parsed[number] = _parse(doc, number)
        if time.monotonic() > deadline:
            break
    if len(parsed) == len(selection) and not any(page.blocks for page in parsed.values()):
        raise DocumentNoText()
    repeated = running_heads(list(parsed.values())) if edges else set()
    for number in selection:
        page = parsed.pop(number, None) or _parse(doc, number)
        yield number, page_blocks(page, repeated, outline_titles if edges else None)


def _parse(doc: pymupdf.Document, number: int) -> ParsedPage:
    try:
        return parse_page(doc[number - 1])
    except (RuntimeError, ValueError):  # a damaged page reads as empty; the rest may be fine
        return ParsedPage(height=0.0)


def parse_page(page: pymupdf.Page) -> ParsedPage:
    """Read a page's text lines with footnote markers removed; margin text set at an angle is
    dropped when most of the page is horizontal (e.g. arXiv's vertical stamp)."""
    unrotated = page.rect * page.derotation_matrix
    parsed = ParsedPage(unrotated.height, rotation=page.rotation_matrix if page.rotation else None)
    slanted: list[tuple[RawBlock, Line]] = []
    chars = Counter[bool]()
    for raw in page.get_text("dict", flags=TEXT_FLAGS)["blocks"]:
        block = RawBlock(lines=[])
        for raw_line in raw.get("lines", ()):
            text, size, lead = _line_text(raw_line["spans"])
            if not text.strip():
                continue
            line = Line(text=text, bbox=tuple(raw_line["bbox"]), size=size, lead=lead)
            horizontal = abs(raw_line["dir"][1]) < 0.1 or raw_line.get("wmode", 0) != 0
            chars[horizontal] += len(text)
            block.lines.append(line)
            if not horizontal:
                slanted.append((block, line))
        if block.lines:
            parsed.blocks.append(block)
    if chars[True] >= chars[False]:
        for block, line in slanted:
            block.lines.remove(line)
        parsed.blocks = [block for block in parsed.blocks if block.lines]
    return parsed


def _line_text(spans: list[dict]) -> tuple[str, float, int | None]:
    """A line's text without superscript footnote markers, its main font size, and the number
    it starts with when that may be a footnote's (a superscript marker or "3 Text")."""
    if not spans:
        return "", 0.0, None
    main = max(spans, key=lambda span: len(span["text"].strip()))
    size, baseline = main["size"], main["origin"][1]
    kept: list[str] = []
    lead: int | None = None
    for span in spans:
        is_marker = (
            span is not main
            and _MARKER.fullmatch(span["text"].strip() or "x") is not None
            and span["size"] <= size * MARKER_SIZE_RATIO
            and (span["flags"] & 1 or span["origin"][1] < baseline - 0.2 * size)
        )
        if not is_marker:
            kept.append(span["text"])
        elif not kept and span["text"].strip().isdecimal():
            lead = int(span["text"].strip())  # a superscript number opening the line: a footnote's
    text = "".join(kept)
    if lead is None and (found := _FOOTNOTE_LINE.match(text)):
        lead = int(found.group(1))
    return text, size, lead


def strip_glued_markers(text: str, footnotes: set[int]) -> str:
    """`text` without the numbers glued to a word's end ("Mendel.3 His", "cells,12 and") that
    are footnotes of the page. A number right after a capital letter stays ("MP3", "B12"):
    it is part of a name."""
    if not footnotes:
        return text

    def unglued(match: re.Match[str]) -> str:
        before = match.string[match.start() - 1]
        if int(match["n"]) not in footnotes or (not match["mark"] and not before.islower()):
            return match.group()
        return match["mark"]

    return _GLUED.sub(unglued, text)


def normalise(text: str) -> str:
    """NFKC (ligatures to letters), unspeakable characters removed, whitespace collapsed."""
    text = _UNSPEAKABLE.sub(" ", unicodedata.normalize("NFKC", text))
    return " ".join(text.split())


def head_key(text: str) -> str:
    """What running heads are compared by: lower case, digit runs as '#' ("Page 3" == "Page 4")."""
    return _DIGITS.sub("#", normalise(text).lower())


def title_key(text: str) -> str:
    """Letters only, lower case: "1.2. METRISCHE RÄUME" matches "1.2 Metrische Räume"."""
    return _NOT_LETTERS.sub("", normalise(text).lower())


def edge_lines(page: ParsedPage) -> list[tuple[str, Line]]:
    """The lines in the top and bottom rows of text near the page's edges, from blocks that lie
    wholly in those rows: the first line of a paragraph is never a running head."""
    found: list[tuple[str, Line]] = []
    taken: set[int] = set()
    for edge in ("top", "bottom"):
        rows: set[int] = set()
        remaining = [line for line in page.lines if id(line) not in taken]
        for band in EDGE_BANDS:
            if not remaining:
                break
            if edge == "top":
                anchor = min(remaining, key=lambda line: line.bbox[1])
            else:
                anchor = max(remaining, key=lambda line: line.bbox[3])
            y0, y1 = anchor.bbox[1], anchor.bbox[3]
            centre = (y0 + y1) / 2 / page.height if page.height else 0.5
            if (centre > band) if edge == "top" else (centre < 1 - band):
                break
            rows.update(id(ln) for ln in remaining if y0 <= (ln.bbox[1] + ln.bbox[3]) / 2 <= y1)
            remaining = [line for line in remaining if id(line) not in rows]
        taken |= rows
        for block in page.blocks:
            if all(id(line) in rows for line in block.lines):
                found.extend((edge, line) for line in block.lines)
    return found


def running_heads(sample: list[ParsedPage]) -> set[tuple[str, str]]:
    """(edge, head_key) of lines found at the same edge on most of the sampled pages."""
    if len(sample) < MIN_REPEATS:
        return set()
    pages_with = Counter[tuple[str, str]]()
    for page in sample:
        pages_with.update({(edge, head_key(line.text)) for edge, line in edge_lines(page)})
    needed = max(MIN_REPEATS, REPEAT_SHARE * len(sample))
    return {key for key, count in pages_with.items() if count >= needed}


def strip_edges(
    page: ParsedPage, repeated: set[tuple[str, str]], outline_titles: set[str]
) -> list[RawBlock]:
    """Drop running heads/feet: repeated lines, and page numbers and outline titles set no
    larger than the body text (a real heading, like "1 Introduction", is larger and is kept)."""
    body = page.body_size
    drop = set()
    for edge, line in edge_lines(page):
        key = head_key(line.text)
        small = line.size <= body + 0.5
        if (edge, key) in repeated or (
            small and (_PAGE_NUMBER.fullmatch(key) or title_key(line.text) in outline_titles)
        ):
            drop.add(id(line))
    blocks = [RawBlock([line for line in b.lines if id(line) not in drop]) for b in page.blocks]
    return [block for block in blocks if block.lines]


def reading_order(blocks: list[RawBlock]) -> list[RawBlock]:
    """Top to bottom; where wide blocks stand in two columns side by side, the left column is
    read before the right one. Full-width blocks (titles, figures) separate such column bands."""
    if not blocks:
        return []
    left_edge = min(block.bbox[0] for block in blocks)
    half = (max(block.bbox[2] for block in blocks) - left_edge) / 2
    middle, slack = left_edge + half, 0.04 * half

    def side(box: BBox) -> str:
        in_left, in_right = box[2] <= middle + slack, box[0] >= middle - slack
        return "left" if in_left and not in_right else "right" if in_right and not in_left else ""

    def wide(box: BBox) -> bool:  # column text, unlike table cells and figure labels
        return box[2] - box[0] >= half / 2

    pieces: list[RawBlock] = []
    for block in blocks:  # MuPDF may put lines of both columns in one block: split those
        sides = [side(line.bbox) for line in block.lines]
        parts = [[ln for ln, s in zip(block.lines, sides, strict=True) if s == w] for w in SIDES]
        if "" in sides or not all(2 * sum(wide(ln.bbox) for ln in p) > len(p) for p in parts):
            pieces.append(block)
        else:
            pieces += [RawBlock(part) for part in parts]
    ordered: list[RawBlock] = []
    band: list[RawBlock] = []
    for block in sorted(pieces, key=lambda b: (b.bbox[1], b.bbox[0])):
        if side(block.bbox):
            band.append(block)
            continue
        ordered += [*_band_order(band, side, wide), block]
        band = []
    return ordered + _band_order(band, side, wide)


def _band_order(
    band: list[RawBlock], side: Callable[[BBox], str], wide: Callable[[BBox], bool]
) -> list[RawBlock]:
    left = [b for b in band if side(b.bbox) == "left"]
    right = [b for b in band if side(b.bbox) == "right"]
    side_by_side = (
        any(wide(b.bbox) for b in left)
        and any(wide(b.bbox) for b in right)
        and any(lb.bbox[1] < rb.bbox[3] and rb.bbox[1] < lb.bbox[3] for lb in left for rb in right)
    )
    return left + right if side_by_side else band  # a band is already top to bottom


def join_lines(lines: list[str]) -> str:
    """Lines joined with spaces; a word hyphenated at a line end is joined when the next line
    goes on in lower case ("narra-" + "tion" -> "narration")."""
    text = ""
    for raw in lines:
        line = normalise(raw)
        if not line:
            continue
        if _ends_hyphenated(text):
            # "narra-" + "tion" is one word; "Jean-" + "Paul" keeps its hyphen.
            keep = text[-1] != "\u00ad" and not line[0].islower()
            text = (text if keep else text[:-1]) + line
            continue
        text = f"{text} {line}" if text else line
    return text.replace("\u00ad", "")


def page_blocks(
    page: ParsedPage, repeated: set[tuple[str, str]], outline_titles: set[str] | None
) -> list[tuple[str, BBox]]:
    """The page's clean blocks in reading order as (text, bbox on the page as displayed); with
    `outline_titles` None, nothing is stripped from the page's edges."""
    result: list[tuple[str, BBox]] = []
    kept = page.blocks if outline_titles is None else strip_edges(page, repeated, outline_titles)
    footnotes = page.footnotes
    for block in reading_order(kept):
        text = strip_glued_markers(join_lines([line.text for line in block.lines]), footnotes)
        if not text:
            continue
        if result and _ends_hyphenated(result[-1][0]) and text[0].islower():
            # A word split across blocks (e.g. from the foot of one column to the next).
            head, _, rest = text.partition(" ")
            result[-1] = (result[-1][0][:-1] + head, result[-1][1])
            text = rest
        box = block.bbox if page.rotation is None else pymupdf.Rect(block.bbox) * page.rotation
        if text:
            result.append((text, tuple(box)))
    return result


def _ends_hyphenated(text: str) -> bool:
    return len(text) > 1 and text[-1] in _HYPHENS and text[-2].isalpha()

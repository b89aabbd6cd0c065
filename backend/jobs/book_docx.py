"""A Word document (DOCX) as HTML for the reader child: its paragraphs in order, paragraphs in a
"Heading N" style as <hN> (so they become chapters), and its title and author properties."""

from __future__ import annotations

import html
import io
import re
import zipfile

from backend.core.errors import DocumentUnreadable

_HEADING = re.compile(r"heading\s*([1-6])$", re.I)


def to_html(data: bytes) -> str:
    """The body's paragraphs as HTML (tables and images are left out: they are not read aloud)."""
    parts = []
    for style, text in _paragraphs(data):
        text = " ".join(text.split())
        if not text:
            continue
        level = _HEADING.match(style)
        tag = f"h{level.group(1)}" if level else "p"
        parts.append(f"<{tag}>{html.escape(text)}</{tag}>\n")
    return "".join(parts)


def properties(data: bytes) -> tuple[str | None, str | None]:
    """(title, author) from the document's core properties; None where they are empty."""
    core = _document(data).core_properties
    title, author = (core.title or "").strip(), (core.author or "").strip()
    return title or None, author or None


def _paragraphs(data: bytes) -> list[tuple[str, str]]:
    doc = _document(data)
    return [
        (paragraph.style.name if paragraph.style else "", paragraph.text)
        for paragraph in doc.paragraphs
    ]


def _document(data: bytes):  # -> docx.document.Document
    import docx  # only the reader child needs it

    try:
        return docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DocumentUnreadable(f"The Word document could not be read ({exc}).") from exc
    except Exception as exc:  # python-docx raises its own and lxml's errors for broken parts
        raise DocumentUnreadable(
            f"The Word document could not be read ({type(exc).__name__}: {exc})."
        ) from exc

"""Which kind of document an upload is, told from its bytes (the file name only where the bytes
cannot tell, as between plain text and Markdown), without parsing it: the reader child does that.
"""

from __future__ import annotations

import io
import re
import zipfile

from backend.core.errors import DocumentUnreadable, DocumentUnsupported

# Every format a job reads, in the order the error lists them; all but pdf are reflowable: the
# reader child lays them out into pages, and they have no scene images.
FORMATS = ("pdf", "epub", "mobi", "fb2", "docx", "md", "html", "txt")
ACCEPTED = "PDF, EPUB, MOBI, FB2, DOCX, Markdown (.md), HTML (.html, .xhtml) and plain text (.txt)"
# The suffixes a browser's file picker offers (frontend) and that name a text file's kind.
SUFFIXES = {
    "pdf": ("pdf",),
    "epub": ("epub",),
    "mobi": ("mobi", "azw", "azw3", "prc"),
    "fb2": ("fb2",),
    "docx": ("docx",),
    "md": ("md", "markdown"),
    "html": ("html", "htm", "xhtml"),
    "txt": ("txt", "text"),
}
_SNIFF = 4096
_HTML = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)[\s>]", re.I | re.S
)
_FB2 = re.compile(rb"<FictionBook[\s>]")


def detect_format(data: bytes, filename: str | None = None) -> str:
    """One of FORMATS for an upload's bytes. DocumentUnreadable for an empty file or a broken
    zip; DocumentUnsupported (listing what is accepted) for anything else."""
    name = (filename or "").rsplit("/", 1)[-1]
    if not data:
        raise DocumentUnreadable(f"'{name or 'The file'}' is empty.")
    head = data[:_SNIFF]
    if b"%PDF" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zipped(data, name)
    if head[60:68] in (b"BOOKMOBI", b"TEXtREAd"):
        return "mobi"
    text = head.lstrip(b"\xef\xbb\xbf")
    if _FB2.search(text) and text.lstrip().startswith(b"<"):
        return "fb2"
    if _HTML.match(text):
        return "html"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    named = next((fmt for fmt, suffixes in SUFFIXES.items() if suffix in suffixes), None)
    if named in ("pdf", "epub", "mobi", "fb2", "docx"):  # its bytes are not what its name says
        raise DocumentUnreadable(
            f"'{name}' is not a {named.upper()} file: its content is not one (it may be damaged "
            "or cut short, or renamed)."
        )
    if not _is_text(head):
        raise _unsupported(name)
    return named if named in ("md", "html") else "txt"


def source_name(fmt: str) -> str:
    """The file name a job keeps its source under: source.pdf, source.epub, ..."""
    return f"source.{fmt}"


def _zipped(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:64] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DocumentUnreadable(
            f"'{name or 'The file'}' looks like a zip archive (EPUB or DOCX) but is damaged "
            f"({exc}).",
            solution="Download or export the book again and upload the new copy.",
        ) from None
    if mimetype.strip() == b"application/epub+zip" or "META-INF/container.xml" in names:
        return "epub"
    if "word/document.xml" in names:
        return "docx"
    raise _unsupported(name, "a zip archive that is neither an EPUB nor a DOCX")


def _is_text(head: bytes) -> bool:
    """No NUL byte and almost no control bytes: text in UTF-8 or a legacy 8-bit encoding."""
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    return controls <= len(head) // 100


def _unsupported(name: str, what: str | None = None) -> DocumentUnsupported:
    kind = what or "not a kind of document a job reads"
    return DocumentUnsupported(f"'{name or 'The file'}' is {kind}. Accepted: {ACCEPTED}.")

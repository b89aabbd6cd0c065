"""Opening any document a job reads as a MuPDF document (runs only in the reader child): PDFs,
EPUB, MOBI and FB2 natively; HTML through MuPDF's HTML engine; Markdown, DOCX and plain text
turned into HTML first (headings stay headings, so they become the outline's chapters).

DRM is refused before MuPDF sees the book (an encrypted EPUB or MOBI reads as noise), and the
title and author come from the book's own metadata where it has them.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
from xml.etree import ElementTree

import pymupdf

from backend.core.errors import DocumentEncrypted, DocumentUnreadable
from backend.jobs import book_docx

# Font obfuscation (IDPF, Adobe) is listed in encryption.xml too, but hides only fonts.
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
_ENC = "{http://www.w3.org/2001/04/xmlenc#}"
_DRM_SOLUTION = (
    "The book is locked with DRM, which this studio cannot and may not remove. Use a copy "
    "without DRM (many shops and publishers sell them), or paste the book's text instead."
)
_META_AUTHOR = re.compile(
    r"<meta\s+[^>]*name\s*=\s*[\"']author[\"'][^>]*content\s*=\s*[\"']([^\"']*)", re.I
)
_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
_IMAGE_BYTES = re.compile(rb"<img\b[^>]*>", re.I)
_NAMES = {
    "pdf": "a PDF",
    "epub": "an EPUB",
    "mobi": "a MOBI book",
    "fb2": "an FB2 book",
    "docx": "a Word document",
    "md": "Markdown",
    "html": "HTML",
    "txt": "plain text",
}


def open_book(data: bytes, password: str | None, fmt: str) -> pymupdf.Document:
    """The document with at least one page, laid out by MuPDF where it is reflowable; raises
    DocumentUnreadable, or DocumentEncrypted for a password PDF or a DRM'd EPUB or MOBI."""
    if not data:
        raise DocumentUnreadable("The file is empty.")
    if fmt == "epub":
        _refuse_epub_drm(data)
    elif fmt == "mobi":
        _refuse_mobi_drm(data)
    stream, filetype = _mupdf_input(data, fmt)
    try:
        doc = pymupdf.open(stream=stream, filetype=filetype)
    except (RuntimeError, ValueError) as exc:
        raise DocumentUnreadable(
            f"The file could not be read as {_NAMES.get(fmt, fmt)} ({exc})."
        ) from exc
    if doc.needs_pass:
        if not password:
            doc.close()
            raise DocumentEncrypted(
                "The PDF is protected by a password, and none was given.",
                solution="Enter the PDF's password in the password field and start again.",
            )
        if not doc.authenticate(password):
            doc.close()
            raise DocumentEncrypted(
                "The PDF is protected by a password, and the password given is not correct.",
                solution="Check the PDF's password (it is case-sensitive) and start again.",
            )
    if doc.page_count == 0:
        doc.close()
        raise DocumentUnreadable(
            f"The {fmt.upper()} has no pages; the file is probably damaged or empty."
        )
    return doc


def metadata(doc: pymupdf.Document, data: bytes, fmt: str) -> tuple[str | None, str | None]:
    """(title, author) from the book's metadata; None where it has none."""
    if fmt == "docx":
        return book_docx.properties(data)
    info = doc.metadata or {}
    title, author = info.get("title") or None, info.get("author") or None
    if fmt == "pdf":  # a PDF's Title is as often "Microsoft Word - draft3.docx": its name wins
        title = None
    if fmt == "html" and author is None:
        found = _META_AUTHOR.search(data[:65536].decode("utf-8", "replace"))
        author = html.unescape(found.group(1)).strip() or None if found else None
    if fmt == "fb2" and author is None:
        author = _fb2_author(data)
    clean = [" ".join(value.split()) or None if value else None for value in (title, author)]
    return clean[0], clean[1]


def _mupdf_input(data: bytes, fmt: str) -> tuple[bytes, str]:
    """What MuPDF opens for `fmt`: the bytes as they are, or HTML made from them."""
    if fmt == "md":
        from markdown_it import MarkdownIt  # only the reader child needs it

        body = MarkdownIt("commonmark", {"html": False}).render(decode_text(data))
        return _page(_IMAGE.sub("", body)), "html"
    if fmt == "html":  # its pictures are files beside it, not uploaded: MuPDF says "[image]"
        return _IMAGE_BYTES.sub(b"", data), "html"
    if fmt == "txt":
        return _page(text_html(decode_text(data))), "html"
    if fmt == "docx":
        return _page(book_docx.to_html(data)), "html"
    return data, fmt


def decode_text(data: bytes) -> str:
    """A text file's characters: UTF-8 (with or without its BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def text_html(text: str) -> str:
    """Plain text as HTML: one paragraph per run of lines between blank lines."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in paragraphs if p.strip())


def _page(body: str) -> bytes:
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
    return f"{head}<body>{body}</body></html>".encode()


def _refuse_epub_drm(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "META-INF/rights.xml" in names:  # Adobe ADEPT's licence
                raise DocumentEncrypted("The EPUB is locked with DRM.", solution=_DRM_SOLUTION)
            if "META-INF/encryption.xml" not in names:
                return
            encryption = archive.read("META-INF/encryption.xml")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise DocumentUnreadable(f"The EPUB's zip archive is damaged ({exc}).") from None
    try:
        root = ElementTree.fromstring(encryption)
    except ElementTree.ParseError:
        raise DocumentEncrypted(
            "The EPUB lists encrypted content that cannot be read.", solution=_DRM_SOLUTION
        ) from None
    methods = {
        method.get("Algorithm", "")
        for method in root.iter(f"{_ENC}EncryptionMethod")
        if method is not None
    }
    if methods - _FONT_OBFUSCATION:
        raise DocumentEncrypted(
            "The EPUB's text is encrypted (it is locked with DRM).", solution=_DRM_SOLUTION
        )


def _refuse_mobi_drm(data: bytes) -> None:
    """A MOBI's first record says whether its text is encrypted (bytes 12-13 of record 0)."""
    try:
        (first,) = struct.unpack_from(">I", data, 78)
        (encryption,) = struct.unpack_from(">H", data, first + 12)
    except struct.error:
        raise DocumentUnreadable("The MOBI file is cut short; it is damaged.") from None
    if encryption:
        raise DocumentEncrypted("The MOBI book is locked with DRM.", solution=_DRM_SOLUTION)


def _fb2_author(data: bytes) -> str | None:
    found = re.search(rb"<title-info>.*?<author>(.*?)</author>", data[:262144], re.S)
    if not found:
        return None
    names = re.findall(rb"<(?:first-name|middle-name|last-name)>(.*?)</", found.group(1), re.S)
    author = " ".join(html.unescape(name.decode("utf-8", "replace")).strip() for name in names)
    return author.strip() or None

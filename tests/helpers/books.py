"""Real books written in tests: EPUB (ebooklib), DOCX (python-docx), Markdown, HTML, FB2, plain
text and MOBI, each with several chapters (a title and paragraphs each) and, where the format
has them, a cover image and title/author metadata; plus the broken ones the error tests need.

Every builder returns the file's bytes. `chapters` is a list of (title, [paragraph, ...]);
None gives CHAPTERS (three short chapters: quick to narrate with Piper).
"""

from __future__ import annotations

import base64
import html
import io
import struct
import zipfile

import pymupdf

TITLE = "The Quiet River"
AUTHOR = "Ada Lovewell"
CHAPTERS: list[tuple[str, list[str]]] = [
    ("The Mill", ["The river runs past the old mill.", "Its wheel turns slowly all day."]),
    ("The Bridge", ["A stone bridge crosses the water.", "Children wave from its top."]),
    ("The Evening", ["At dusk the water turns gold.", "The birds fly home to rest."]),
]
Chapters = list[tuple[str, list[str]]]


def cover_png(width: int = 60, height: int = 90) -> bytes:
    """A small solid-colour PNG, the cover the builders embed."""
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pixmap.set_rect(pixmap.irect, (40, 90, 160))
    return pixmap.tobytes("png")


def make_epub(
    chapters: Chapters | None = None,
    title: str = TITLE,
    author: str = AUTHOR,
    cover: bytes | None = b"",
) -> bytes:
    """An EPUB 3: one XHTML file per chapter (a <h1> and <p>s), a table of contents naming them,
    dc:title and dc:creator, and `cover` (default: cover_png(); None: no cover) as its
    cover-image. The navigation document is not in the spine, so only chapters are read."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:chatterbox-test-book")
    book.set_title(title)
    book.set_language("en")
    book.add_author(author)
    if cover is not None:
        book.set_cover("cover.png", cover or cover_png(), create_page=False)
    items = []
    for number, (heading, paragraphs) in enumerate(chapters or CHAPTERS, start=1):
        item = epub.EpubHtml(title=heading, file_name=f"chapter{number}.xhtml", lang="en")
        item.content = _html_body(heading, paragraphs)
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = items
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def make_docx(chapters: Chapters | None = None, title: str = TITLE, author: str = AUTHOR) -> bytes:
    """A Word document: each chapter a "Heading 1" paragraph and body paragraphs; the core
    properties carry the title and author."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for heading, paragraphs in chapters or CHAPTERS:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_markdown(chapters: Chapters | None = None) -> bytes:
    """Markdown: each chapter a `# heading` and its paragraphs (Markdown has no metadata)."""
    parts = [
        f"# {heading}\n\n" + "\n\n".join(paragraphs) for heading, paragraphs in chapters or CHAPTERS
    ]
    return ("\n\n".join(parts) + "\n").encode()


def make_html(chapters: Chapters | None = None, title: str = TITLE, author: str = AUTHOR) -> bytes:
    """An HTML page: <title>, <meta name="author">, each chapter a <h1> and <p>s."""
    body = "".join(_html_body(h, p) for h, p in chapters or CHAPTERS)
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="author" content="{html.escape(author)}"></head><body>{body}</body></html>'
    ).encode()


def make_text(chapters: Chapters | None = None) -> bytes:
    """Plain text: each chapter's title and paragraphs, blank lines between (no chapters)."""
    blocks = [line for heading, ps in chapters or CHAPTERS for line in (heading, *ps)]
    return ("\n\n".join(blocks) + "\n").encode()


def make_fb2(
    chapters: Chapters | None = None,
    title: str = TITLE,
    author: str = AUTHOR,
    cover: bytes | None = b"",
) -> bytes:
    """A FictionBook 2: title-info (book-title, author, coverpage) and one <section> with a
    <title> per chapter; the cover (default cover_png(); None: none) as a base64 <binary>."""
    first, _, last = author.partition(" ")
    sections = "".join(
        f"<section><title><p>{html.escape(h)}</p></title>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in ps)
        + "</section>"
        for h, ps in chapters or CHAPTERS
    )
    coverpage = '<coverpage><image l:href="#cover.png"/></coverpage>' if cover is not None else ""
    binary = (
        f'<binary id="cover.png" content-type="image/png">'
        f"{base64.b64encode(cover or cover_png()).decode()}</binary>"
        if cover is not None
        else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" '
        'xmlns:l="http://www.w3.org/1999/xlink"><description><title-info>'
        f"<author><first-name>{html.escape(first)}</first-name>"
        f"<last-name>{html.escape(last)}</last-name></author>"
        f"<book-title>{html.escape(title)}</book-title>{coverpage}<lang>en</lang>"
        f"</title-info></description><body>{sections}</body>{binary}</FictionBook>"
    ).encode()


def make_mobi(chapters: Chapters | None = None, title: str = TITLE, drm: bool = False) -> bytes:
    """A minimal MOBI (a PalmDB "BOOKMOBI" with uncompressed UTF-8 HTML text records); `drm`
    sets record 0's encryption field, as a shop's locked copy has it."""
    text = f"<html><body>{''.join(_html_body(h, p) for h, p in chapters or CHAPTERS)}</body></html>"
    data = text.encode()
    size = 4096
    records = [data[i : i + size] for i in range(0, len(data), size)]
    name = title.encode()
    mobi = struct.pack(">4sIIII", b"MOBI", 232, 2, 65001, 1) + struct.pack(">I", 6)
    mobi += b"\xff" * 40  # index records: none
    mobi += struct.pack(">II", len(records) + 1, 0)  # first non-book record, full name offset
    mobi = mobi.ljust(232, b"\x00")
    header = struct.pack(">HHIHHHH", 1, 0, len(data), len(records), size, 2 if drm else 0, 0)
    record0 = header + mobi
    offset_of_name = len(record0)
    record0 = record0[:84] + struct.pack(">II", offset_of_name, len(name)) + record0[92:]
    record0 += name + b"\x00\x00"
    everything = [record0, *records, b"\xe9\x8e\r\n"]  # the end-of-file record
    count = len(everything)
    start = 78 + 8 * count + 2
    table, offsets, position = b"", [], start
    for index, record in enumerate(everything):
        offsets.append(position)
        table += struct.pack(">II", position, index * 2)
        position += len(record)
    head = name[:31].ljust(32, b"\x00") + struct.pack(">HHIIIIII", 0, 0, 0, 0, 0, 0, 0, 0)
    head += b"BOOKMOBI" + struct.pack(">IIH", 0, 0, count)
    return head + table + b"\x00\x00" + b"".join(everything)


def drm_epub() -> bytes:
    """make_epub() with META-INF/encryption.xml marking its chapters encrypted (AES), as a
    DRM'd shop copy has it."""
    source = zipfile.ZipFile(io.BytesIO(make_epub()))
    chapters = [n for n in source.namelist() if n.endswith(".xhtml")]
    refs = "".join(
        '<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/'
        f'xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference URI="{name}"/>'
        "</enc:CipherData></enc:EncryptedData>"
        for name in chapters
    )
    encryption = (
        '<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"'
        f' xmlns:enc="http://www.w3.org/2001/04/xmlenc#">{refs}</encryption>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("META-INF/encryption.xml", encryption)
    return out.getvalue()


def corrupt_zip() -> bytes:
    """The first half of make_epub(): a zip's local header with no central directory."""
    data = make_epub()
    return data[: len(data) // 2]


def _html_body(heading: str, paragraphs: list[str]) -> str:
    return f"<h1>{html.escape(heading)}</h1>" + "".join(
        f"<p>{html.escape(p)}</p>" for p in paragraphs
    )

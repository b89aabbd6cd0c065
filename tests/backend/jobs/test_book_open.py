"""backend.jobs.book_open (with book_docx): every format read in the real reader child, through
backend.jobs.pdf's open_info and extract_pages, with its chapters, title, author and text; and
the errors of the one family (unreadable, encrypted/DRM, no text, too large)."""

from __future__ import annotations

import itertools

import pytest

from backend.core.errors import (
    DocumentEncrypted,
    DocumentNoText,
    DocumentTooLarge,
    DocumentUnreadable,
)
from backend.jobs.book_open import decode_text, text_html
from backend.jobs.pdf import PdfLimits, extract_pages, open_info
from tests.helpers import books

TITLES = [title for title, _ in books.CHAPTERS]
WORDS = [p for title, paragraphs in books.CHAPTERS for p in (title, *paragraphs)]
BUILDERS = {
    "epub": books.make_epub,
    "docx": books.make_docx,
    "md": books.make_markdown,
    "html": books.make_html,
    "fb2": books.make_fb2,
    "mobi": books.make_mobi,
    "txt": books.make_text,
}
# Markdown, MOBI and plain text carry no author; Markdown and text no title either.
METADATA = {
    "epub": (books.TITLE, books.AUTHOR),
    "docx": (books.TITLE, books.AUTHOR),
    "html": (books.TITLE, books.AUTHOR),
    "fb2": (books.TITLE, books.AUTHOR),
    "md": (None, None),
    "txt": (None, None),
}


def read(data: bytes, fmt: str, **limits) -> list:
    return list(extract_pages(data, limits=PdfLimits(**limits), fmt=fmt))


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_each_format_reads_every_paragraph_in_order(fmt) -> None:
    pages = read(BUILDERS[fmt](), fmt)
    text = " ".join(block.text for page in pages for block in page.blocks)
    for earlier, later in itertools.pairwise(WORDS):
        assert earlier in text and later in text
        assert text.index(earlier) < text.index(later)


@pytest.mark.parametrize("fmt", ["epub", "docx", "md", "html", "fb2", "mobi"])
def test_each_heading_format_gives_its_chapters_in_order_and_marks_every_block(fmt) -> None:
    data = BUILDERS[fmt]()
    info = open_info(data, fmt=fmt)
    assert [title for _, title, _ in info["outline"]] == TITLES
    blocks = [block for page in read(data, fmt) for block in page.blocks]
    by_chapter = {block.text: block.chapter for block in blocks}
    for title, paragraphs in books.CHAPTERS:
        assert by_chapter[title] == title
        for paragraph in paragraphs:
            assert any(paragraph in text and ch == title for text, ch in by_chapter.items())


@pytest.mark.parametrize("fmt", sorted(METADATA))
def test_title_and_author_come_from_the_books_metadata(fmt) -> None:
    info = open_info(BUILDERS[fmt](), fmt=fmt)
    assert (info["title"], info["author"]) == METADATA[fmt]
    assert info["format"] == fmt and not info["encrypted"]


def test_an_epub_lays_each_chapter_on_pages_of_its_own() -> None:
    pages = read(books.make_epub(), "epub")
    assert [page.chapter for page in pages] == TITLES
    assert [page.number for page in pages] == [1, 2, 3]


def test_a_page_range_selects_laid_out_pages_and_keeps_the_chapter_it_starts_in() -> None:
    chapters = [(t, [p * 90 for p in ps]) for t, ps in books.CHAPTERS]  # a chapter on 2+ pages
    data = books.make_epub(chapters)
    pages = read(data, "epub")
    assert len(pages) > 3
    second = next(page.number for page in pages if page.chapter is None)
    [page] = list(extract_pages(data, pages=str(second), fmt="epub"))
    assert page.blocks and all(block.chapter == TITLES[0] for block in page.blocks)


def test_plain_text_paragraphs_and_legacy_encodings() -> None:
    assert text_html("One line\nand its next.\n\n\nTwo <b>") == (
        "<p>One line\nand its next.</p>\n<p>Two &lt;b&gt;</p>\n"
    )
    assert decode_text("\ufeffCaf\u00e9".encode()) == "Caf\u00e9"
    assert decode_text("Caf\u00e9".encode("cp1252")) == "Caf\u00e9"


# ---- errors ----------------------------------------------------------------------------------


def test_a_drm_epub_is_document_encrypted_with_a_solution() -> None:
    with pytest.raises(DocumentEncrypted) as caught:
        open_info(books.drm_epub(), fmt="epub")
    assert "DRM" in caught.value.message and "without DRM" in caught.value.solution
    assert caught.value.code == "document_encrypted"


def test_a_drm_mobi_is_document_encrypted() -> None:
    with pytest.raises(DocumentEncrypted, match="DRM"):
        list(extract_pages(books.make_mobi(drm=True), fmt="mobi"))


def test_font_obfuscation_alone_is_not_drm() -> None:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(books.make_epub()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(
            "META-INF/encryption.xml",
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            '<enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
            "</enc:EncryptedData></encryption>",
        )
    assert open_info(out.getvalue(), fmt="epub")["title"] == books.TITLE


def test_a_corrupt_epub_and_a_corrupt_docx_are_document_unreadable() -> None:
    with pytest.raises(DocumentUnreadable) as caught:
        open_info(books.corrupt_zip(), fmt="epub")
    assert caught.value.solution
    with pytest.raises(DocumentUnreadable, match="Word document"):
        list(extract_pages(books.corrupt_zip(), fmt="docx"))


def test_a_book_without_words_is_document_no_text() -> None:
    empty = books.make_epub([("", []), ("", [])])
    with pytest.raises(DocumentNoText):
        read(empty, "epub")
    with pytest.raises(DocumentNoText):
        read(b"<!DOCTYPE html><html><body><img src='x.png'></body></html>", "html")


def test_a_book_over_the_character_limit_is_document_too_large() -> None:
    with pytest.raises(DocumentTooLarge, match="more than 40 characters"):
        read(books.make_docx(), "docx", max_chars=40)

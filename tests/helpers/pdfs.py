"""PDFs made in tests with PyMuPDF."""

from __future__ import annotations

import pymupdf

SENTENCES = [
    "The river runs past the old mill and under the stone bridge.",
    "Children play on the bank while their parents read in the shade.",
    "In the evening the water turns gold and the birds fly home.",
]


def text_pdf(pages: int = 3, chapters: bool = True, password: str | None = None) -> bytes:
    doc = pymupdf.open()
    toc = []
    for number in range(1, pages + 1):
        page = doc.new_page()
        body = f"Page {number} begins here. " + " ".join(SENTENCES)
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 400), body, fontsize=12)
        if chapters:
            toc.append([1, f"Chapter {number}", number])
    if toc:
        doc.set_toc(toc)
    if password:
        return doc.tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner"
        )
    return doc.tobytes()


def image_only_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pixmap.clear_with(200)
    page.insert_image(pymupdf.Rect(72, 72, 300, 300), pixmap=pixmap)
    return doc.tobytes()


def pdf_from_pages(texts: list[str]) -> bytes:
    """One page per text, set in a text box."""
    doc = pymupdf.open()
    for text in texts:
        doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 700), text, fontsize=12)
    return doc.tobytes()

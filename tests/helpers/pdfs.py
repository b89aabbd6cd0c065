"""PDFs made in tests with PyMuPDF."""

from __future__ import annotations

import zlib

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


def _with_resource(page: pymupdf.Page, kind: str, name: str, xref: int, drawing: bytes) -> None:
    """Add object `xref` to the page's resources as /kind /name, and `drawing` to its content."""
    doc = page.parent
    kind_of, value = doc.xref_get_key(page.xref, "Resources")
    resources = int(value.split()[0]) if kind_of == "xref" else page.xref
    prefix = "" if kind_of == "xref" else "Resources/"
    doc.xref_set_key(resources, f"{prefix}{kind}", f"<< /{name} {xref} 0 R >>")
    [contents] = page.get_contents()
    doc.update_stream(contents, drawing + b"\n" + doc.xref_stream(contents))


def _raw_stream(doc: pymupdf.Document, head: str, body: bytes, filters: str) -> int:
    xref = doc.get_new_xref()
    doc.update_object(xref, head)
    doc.update_stream(xref, body, compress=False)
    doc.xref_set_key(xref, "Filter", filters)  # update_stream without compression drops it
    return xref


def slow_drawing_pdf(repeats: int = 2000) -> bytes:
    """One page of text (read in milliseconds) under a shading of 10,000 page-sized triangles
    painted `repeats` times: about 1.2 KB on disk, and MuPDF needs about 0.4 s per repeat to
    draw it (some 13 minutes by default), while text extraction skips shadings."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 300), " ".join(SENTENCES), fontsize=12)
    # Type 4 mesh, 8-bit flag, x, y and grey per vertex: each triangle covers half the page.
    triangle = bytes([0, 0, 0, 0, 0, 0, 255, 128, 0, 255, 255, 255])
    body = zlib.compress(zlib.compress(triangle * 10_000, 9), 9)
    head = (
        "<< /ShadingType 4 /ColorSpace /DeviceGray /BitsPerCoordinate 8 /BitsPerComponent 8 "
        "/BitsPerFlag 8 /Decode [0 595 0 842 0 1] >>"
    )
    shading = _raw_stream(doc, head, body, "[/FlateDecode /FlateDecode]")
    _with_resource(page, "Shading", "S0", shading, b"q /S0 sh Q\n" * repeats)
    return doc.tobytes(garbage=3, deflate=True)


def memory_bomb_pdf(side: int = 40_000) -> bytes:
    """One page of text with a 1.4 KB progressive JPEG that declares `side` x `side` grey pixels:
    drawing it makes the JPEG decoder allocate side * side * 2 bytes of coefficients (3.2 GB for
    the default) before it reads any image data. Text extraction never decodes images."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 300), " ".join(SENTENCES), fontsize=12)
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 16, 16), False)
    pixmap.clear_with(128)
    jpeg = bytearray(pixmap.tobytes("jpg"))
    sof = jpeg.index(b"\xff\xc2")  # MuPDF writes progressive JPEGs: SOF2
    jpeg[sof + 5 : sof + 9] = side.to_bytes(2, "big") * 2  # height, width
    head = (
        f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} "
        "/ColorSpace /DeviceGray /BitsPerComponent 8 >>"
    )
    image = _raw_stream(doc, head, bytes(jpeg), "/DCTDecode")
    _with_resource(page, "XObject", "Im0", image, b"q 468 0 0 228 72 542 cm /Im0 Do Q")
    return doc.tobytes(garbage=3)

from __future__ import annotations

import time

import pymupdf

from backend.api import routes_pdf
from tests.helpers.api import assert_error
from tests.helpers.pdfs import SENTENCES, image_only_pdf, pdf_from_pages, text_pdf


def preview(client, data, filename="book.pdf", **fields):
    return client.post(
        "/pdf/preview", files={"file": (filename, data, "application/pdf")}, data=fields
    )


def page_body(number: int) -> str:
    return f"Page {number} begins here. " + " ".join(SENTENCES)


def headed_pdf(pages: int) -> bytes:
    """Two paragraphs per page under the same running head on every page."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        page.insert_text((72, 40), "THE RIVER BOOK", fontsize=9)
        body = f"Page {number} tells of the river.\n\nA second paragraph follows on page {number}."
        page.insert_textbox(pymupdf.Rect(72, 100, 540, 400), body, fontsize=12)
    return doc.tobytes()


def test_preview_shows_the_first_three_selected_pages_and_says_more_follow(client):
    response = preview(client, text_pdf(pages=5), pages="2-5")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "book.pdf",
        "source_format": "pdf",
        "title": None,
        "author": None,
        "page_count": 5,
        "selected_pages": 4,
        "encrypted": False,
        "chapters": [{"title": f"Chapter {n}", "page": n} for n in (2, 3, 4, 5)],
        "pages": [{"number": n, "text": page_body(n)} for n in (2, 3, 4)],
        "truncated": True,
    }


def test_preview_of_a_short_selection_shows_every_page_and_is_not_truncated(client):
    body = preview(client, text_pdf(pages=5, chapters=False), pages="1,4").json()
    assert body["selected_pages"] == 2
    assert body["chapters"] == []
    assert [page["number"] for page in body["pages"]] == [1, 4]
    assert body["truncated"] is False


def test_preview_text_is_what_a_job_narrates_for_the_same_pages(client):
    data = headed_pdf(pages=6)
    previewed = preview(client, data).json()["pages"]
    job = client.post("/jobs", files={"file": ("book.pdf", data, "application/pdf")}).json()
    deadline = time.monotonic() + 30
    while job["extraction_status"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(f"/jobs/{job['id']}").json()
    client.post(f"/jobs/{job['id']}/cancel")
    assert job["extraction_status"] == "completed"
    for page in previewed:
        narrated = " ".join(s["text"] for s in job["scenes"] if s["page"] == page["number"])
        assert " ".join(page["text"].split()) == narrated
    assert previewed[0]["text"] == (
        "Page 1 tells of the river.\n\nA second paragraph follows on page 1."
    )


def test_preview_drops_running_heads_found_across_the_whole_selection(client, monkeypatch):
    monkeypatch.setattr(routes_pdf, "PREVIEW_PAGES", 2)  # too few pages to spot a head alone
    body = preview(client, headed_pdf(pages=8)).json()
    assert [page["number"] for page in body["pages"]] == [1, 2]
    assert all("RIVER BOOK" not in page["text"] for page in body["pages"])


def test_preview_of_an_encrypted_pdf_needs_its_password(client):
    locked = text_pdf(pages=2, password="secret")
    body = preview(client, locked, password="secret").json()
    assert body["encrypted"] is True
    assert body["pages"][1] == {"number": 2, "text": page_body(2)}
    assert_error(
        preview(client, locked),
        400,
        {
            "error": "document_encrypted",
            "message": "The PDF is protected by a password, and none was given.",
            "solution": "Enter the PDF's password in the password field and start again.",
        },
    )
    assert_error(
        preview(client, locked, password="nope"),
        400,
        {
            "error": "document_encrypted",
            "message": "The PDF is protected by a password, and the password given is not correct.",
            "solution": "Check the PDF's password (it is case-sensitive) and start again.",
        },
    )


def test_a_file_of_no_accepted_kind_is_415_document_unsupported_listing_the_kinds(client):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert_error(
        preview(client, png, filename="photo.png"),
        415,
        {
            "error": "document_unsupported",
            "message": "'photo.png' is not a kind of document a job reads. Accepted: PDF, EPUB, "
            "MOBI, FB2, DOCX, Markdown (.md), HTML (.html, .xhtml) and plain text (.txt).",
            "solution": "Upload a PDF, EPUB, MOBI, FB2, DOCX, Markdown (.md), HTML (.html) or "
            "plain text (.txt) file, or paste the text instead.",
        },
        says=("EPUB", "DOCX"),
    )


def test_a_page_range_outside_the_document_is_422_invalid_request(client):
    assert_error(
        preview(client, text_pdf(pages=3), pages="5-9"),
        422,
        {
            "error": "invalid_request",
            "message": "The page range '5-9' is outside the document (pages are numbered from 1). "
            "The document has 3 pages.",
            "solution": "Check the fields against the API documentation at /docs.",
        },
    )


def test_a_selection_over_the_page_limit_is_413_document_too_large(make_client):
    client = make_client(max_pdf_pages=2)
    assert_error(
        preview(client, text_pdf(pages=3)),
        413,
        {
            "error": "document_too_large",
            "message": "The selection has 3 pages (the document has 3); the limit is 2 pages "
            "per job.",
            "solution": "Choose a page range (for example 1-50) and narrate the rest as another "
            "job.",
        },
    )
    assert preview(client, text_pdf(pages=3), pages="2-3").status_code == 200


def test_a_pdf_without_text_is_422_document_no_text_as_for_a_job(client):
    assert_error(
        preview(client, image_only_pdf()),
        422,
        {
            "error": "document_no_text",
            "message": "The PDF has no text layer (it looks scanned or made of images).",
            "solution": "Run OCR on it first (for example ocrmypdf), or paste the text instead "
            "of the PDF.",
        },
    )


def test_previewed_pages_without_text_are_422_document_no_text_and_suggest_a_later_range(client):
    data = pdf_from_pages(["", "", "", "The text starts on page four."])
    assert_error(
        preview(client, data),
        422,
        {
            "error": "document_no_text",
            "message": "The first 3 selected pages have no text layer (they look scanned or made "
            "of images).",
            "solution": "If the text starts later, choose a page range that starts there; "
            "otherwise run OCR on the PDF first (for example ocrmypdf), or paste the text "
            "instead of the PDF.",
        },
    )
    later = preview(client, data, pages="4-").json()
    assert later["pages"] == [{"number": 4, "text": "The text starts on page four."}]


def test_a_missing_file_field_is_422_invalid_request(client):
    response = client.post("/pdf/preview", data={"pages": "1"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_preview_of_a_long_pdf_answers_within_a_few_seconds_and_stores_nothing(client, tmp_path):
    data = text_pdf(pages=300, chapters=False)
    started = time.perf_counter()
    response = preview(client, data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    body = response.json()
    assert (body["selected_pages"], len(body["pages"]), body["truncated"]) == (300, 3, True)
    assert elapsed < 5
    assert client.get("/jobs").json()["jobs"] == []
    stored = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and "jobs.db" not in p.name]
    assert stored == []

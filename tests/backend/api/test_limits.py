from __future__ import annotations

import os

import pytest

from tests.helpers.api import assert_error
from tests.helpers.pdfs import text_pdf

# The facts each refusal must carry: the limit, the setting that raises it, and advice that fits
# what was uploaded (splitting a PDF; trimming a clip).
LIMIT = {"error": "upload_too_large", "message": "1.0 MB", "solution": ""}
PDF_ADVICE = ("split the PDF", "CHATTERBOX_MAX_UPLOAD_MB")
CLIP_ADVICE = "Trim the clip"
BOUNDARY = "xyz"


def chunked_upload(filename: str, megabytes: float):
    """A multipart body sent without Content-Length, so the limit is found while counting."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for _ in range(int(megabytes * 16)):
        yield os.urandom(64 * 1024)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize("route", ["/jobs", "/pdf/preview"])
def test_a_pdf_upload_over_the_limit_is_413_with_pdf_advice(make_client, route):
    client = make_client(max_upload_mb=1)
    big = b"%PDF-1.7\n" + os.urandom(2 * 1024 * 1024)
    declared = client.post(route, files={"file": ("big.pdf", big, "application/pdf")})
    assert "content-length" in declared.request.headers
    assert_error(declared, 413, LIMIT, says=PDF_ADVICE)

    counted = client.post(
        route,
        content=chunked_upload("big.pdf", 2.5),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert "content-length" not in counted.request.headers
    assert_error(counted, 413, LIMIT, says=PDF_ADVICE)
    assert client.get("/jobs").json()["jobs"] == []


@pytest.mark.parametrize("route", ["/voices", "/load_voice_upload"])
def test_a_voice_upload_over_the_limit_keeps_the_clip_advice(make_client, route):
    client = make_client(max_upload_mb=1)
    response = client.post(
        route, files={"file": ("big.wav", b"RIFF" + os.urandom(2 * 1024 * 1024), "audio/wav")}
    )
    assert_error(response, 413, LIMIT, says=CLIP_ADVICE)
    assert "PDF" not in response.json()["solution"]


def test_a_pdf_under_the_limit_passes_the_middleware(make_client):
    client = make_client(max_upload_mb=1)
    response = client.post(
        "/pdf/preview", files={"file": ("small.pdf", text_pdf(pages=1), "application/pdf")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["page_count"] == 1

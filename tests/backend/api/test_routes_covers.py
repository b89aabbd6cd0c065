"""PUT and GET /jobs/{id}/cover: the user's cover is checked, kept with the job and carried by
the audiobook downloads, which are made again after it changes."""

from __future__ import annotations

import io
from pathlib import Path

from mutagen.mp4 import MP4

from tests.backend.api.test_routes_jobs import wait_job
from tests.helpers.api import assert_error
from tests.helpers.audiobooks import chapters_of, container_of, image_size, jpeg_bytes, png_bytes

TEXT = "A short story in two sentences. It ends here."


def _body(code: str) -> dict:
    return {"error": code, "message": "", "solution": ""}


def _put(client, job_id: str, data: bytes, name: str = "cover.png", kind: str = "image/png"):
    return client.put(f"/jobs/{job_id}/cover", files={"file": (name, data, kind)})


def _finished_job(client) -> dict:
    job = client.post("/jobs", data={"text": TEXT, "title": "Covered"}).json()
    return wait_job(client, job["id"])


def test_a_png_cover_is_kept_on_the_job_and_read_back(client) -> None:
    job = _finished_job(client)
    cover = png_bytes((30, 20))
    response = _put(client, job["id"], cover)
    assert response.status_code == 200, response.text
    assert Path(response.json()["cover_path"]).parent.name == job["id"]
    got = client.get(f"/jobs/{job['id']}/cover")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content == cover


def test_a_jpeg_replaces_the_earlier_cover(client) -> None:
    job = _finished_job(client)
    _put(client, job["id"], png_bytes())
    response = _put(client, job["id"], jpeg_bytes((16, 16)), "c.jpg", "image/jpeg")
    assert response.status_code == 200, response.text
    got = client.get(f"/jobs/{job['id']}/cover")
    assert got.headers["content-type"] == "image/jpeg" and image_size(got.content) == (16, 16)
    folder = Path(response.json()["cover_path"]).parent
    assert [p.name for p in folder.glob("cover-upload.*")] == ["cover-upload.jpg"]


def test_a_file_that_is_not_an_image_is_a_clear_415(client) -> None:
    job = _finished_job(client)
    response = _put(client, job["id"], b"%PDF-1.7 not a picture", "cover.png")
    assert_error(response, 415, _body("cover_unreadable"), says=("PNG", "JPEG"))
    assert client.get(f"/jobs/{job['id']}").json()["cover_path"] is None


def test_a_truncated_png_is_refused_because_it_does_not_decode(client) -> None:
    job = _finished_job(client)
    data = png_bytes((200, 200))
    response = _put(client, job["id"], data[: len(data) // 2])
    assert_error(response, 415, _body("cover_unreadable"))


def test_an_image_in_another_format_is_refused_by_name(client) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    job = _finished_job(client)
    response = _put(client, job["id"], buffer.getvalue(), "cover.gif", "image/gif")
    assert_error(response, 415, _body("cover_unreadable"), says="GIF")


def test_a_cover_over_the_cover_limit_is_a_413_with_image_advice(make_client) -> None:
    client = make_client(max_cover_mb=0.001)
    job = _finished_job(client)
    response = _put(client, job["id"], png_bytes((400, 400)) + b"\0" * 2000)
    assert_error(response, 413, _body("upload_too_large"), says="CHATTERBOX_MAX_COVER_MB")


def test_a_cover_over_the_upload_limit_is_refused_with_image_advice(make_client) -> None:
    client = make_client(max_upload_mb=0.01)
    job = _finished_job(client)
    response = _put(client, job["id"], b"\0" * 20_000)
    assert_error(response, 413, _body("upload_too_large"), says="cover image")


def test_a_cover_for_an_unknown_job_is_a_404(client) -> None:
    response = _put(client, "nosuchjob", png_bytes())
    assert_error(response, 404, _body("job_not_found"))
    assert_error(client.get("/jobs/nosuchjob/cover"), 404, _body("job_not_found"))


def test_a_job_without_a_cover_says_how_to_add_one(client) -> None:
    job = _finished_job(client)
    response = client.get(f"/jobs/{job['id']}/cover")
    assert_error(response, 404, _body("cover_not_found"), says="PUT /jobs/{id}/cover")


def test_the_m4b_is_made_again_with_a_new_cover_and_goes_with_the_job(client, tmp_path) -> None:
    job = _finished_job(client)
    first = client.get(f"/jobs/{job['id']}/audio?format=m4b")
    assert first.status_code == 200 and first.headers["content-type"] == "audio/mp4"
    assert 'filename="Covered.m4b"' in first.headers["content-disposition"]
    before = tmp_path / "before.m4b"
    before.write_bytes(first.content)
    assert chapters_of(before) == [("Covered", 0.0)]  # a text job: one chapter, the whole
    assert not container_of(before)["picture"]
    tags = MP4(before).tags
    assert tags["\xa9nam"] == ["Covered"] and tags["\xa9wrt"][0].startswith("Built-in voice")

    _put(client, job["id"], png_bytes((24, 24)))
    after = tmp_path / "after.m4b"
    after.write_bytes(client.get(f"/jobs/{job['id']}/audio?format=m4b").content)
    (art,) = MP4(after).tags["covr"]
    assert image_size(bytes(art)) == (24, 24)

    folder = client.app.state.jobs.job_dir(job["id"])
    assert {"narration.m4b", "cover-upload.png"} <= {p.name for p in folder.iterdir()}
    assert client.delete(f"/jobs/{job['id']}").status_code == 200
    assert not folder.exists()


def test_a_cover_with_too_many_pixels_is_refused_before_it_is_decoded(client) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")  # 64 million pixels in a few kB
    job = _finished_job(client)
    response = _put(client, job["id"], buffer.getvalue())
    assert_error(response, 413, _body("upload_too_large"), says="too many pixels")

"""The cover panel of a finished job (frontend/job_cover.py): shows the cover, uploads another."""

from __future__ import annotations

from tests.frontend import media
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import values
from tests.frontend.fake_api import FakeApi


def _upload(at, job_id: str, data: bytes, name: str = "cover.png"):
    uploader = at.file_uploader(key=f"cover_file_{job_id}")
    return uploader.set_value((name, data, "image/png")).run()


def test_a_job_without_a_cover_says_so_and_shows_no_image(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)

    at = open_app(job=job_id)

    assert not at.exception
    assert any("No cover yet" in caption for caption in values(at.main.caption))
    assert not fake.calls_to("job_cover")


def test_an_uploaded_cover_is_put_on_the_job_and_then_shown(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2, source_kind="text")  # no page images
    at = _upload(open_app(job=job_id), job_id, media.png(8, 8))

    at.button(key="cover_put").click().run()

    assert not at.exception
    assert [call["job_id"] for call in fake.calls_to("put_cover")] == [job_id]
    assert fake.covers[job_id] == media.png(8, 8)
    assert fake.calls_to("job_cover")  # the page shows the cover it now has
    [image] = at.image
    assert image.captions == ["The audiobook's cover"]


def test_a_file_that_is_not_an_image_gets_the_servers_error(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    at = _upload(open_app(job=job_id), job_id, b"not an image at all")

    at.button(key="cover_put").click().run()

    assert any("PNG or JPEG" in error for error in values(at.error))
    assert job_id not in fake.covers

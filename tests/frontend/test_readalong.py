"""Read-along (frontend/readalong.py): a finished job's narration played in a self-contained page
with the sentence being read highlighted, from the server's WebVTT cues."""

from __future__ import annotations

from frontend.readalong import parse_vtt
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import values
from tests.frontend.fake_api import FakeApi


def read_along(at) -> str:
    """The read-along iframe's page (its srcdoc), after turning the toggle on."""
    frames = at.get("iframe")
    assert len(frames) == 1, frames
    return frames[0].proto.srcdoc


def test_read_along_loads_nothing_until_turned_on_then_plays_the_narration_with_every_sentence(
    fake: FakeApi, open_app: OpenApp
):
    job_id = fake.add_job(scenes=3, completed=3, source_kind="text")
    at = open_app(job=job_id)
    assert not at.get("iframe") and not fake.calls_to("job_subtitles")

    at.toggle(key=f"readalong_{job_id}").set_value(True).run()

    assert not at.exception
    page = read_along(at)
    assert [c["fmt"] for c in fake.calls_to("job_audio")] == ["mp3"]
    assert fake.calls_to("job_subtitles") == [{"job_id": job_id, "fmt": "vtt", "level": "sentence"}]
    assert 'src="data:audio/mpeg;base64,' in page
    for n in (1, 2, 3):  # one span per sentence, named as the server names its cues
        assert f'<span id="s{n}-0">Scene {n} reads this sentence aloud.</span>' in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing to fetch
    assert 'id="region" hidden' in page  # a text job has no page regions


def test_read_along_of_a_pdf_carries_each_scenes_page_region(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2, source_kind="pdf")
    at = open_app(job=job_id)
    at.toggle(key=f"readalong_{job_id}").set_value(True).run()

    page = read_along(at)
    assert [c["index"] for c in fake.calls_to("scene_image")][-2:] == [1, 2]
    assert page.count("data:image/png;base64,") == 2 and 'id="region">' in page


def test_read_along_cues_come_from_the_servers_webvtt():
    vtt = (
        "WEBVTT\n\ns1-0\n00:00:00.000 --> 00:00:01.250\nFish &amp; chips.\n\n"
        "s2-3\n01:02:03.004 --> 01:02:04.500\nLast one.\n\nnot-a-cue\n00:00:05.000 --> 00:00:06.000\nx\n"
    )
    assert parse_vtt(vtt) == [
        {"id": "s1-0", "scene": 1, "start": 0.0, "end": 1.25, "text": "Fish & chips."},
        {"id": "s2-3", "scene": 2, "start": 3723.004, "end": 3724.5, "text": "Last one."},
    ]


def test_read_along_of_a_job_without_timing_says_why(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job(scenes=2, completed=2)
    for scene in fake.records[job_id]["scenes"]:
        scene["start_seconds"] = None  # assembled before scenes were timed
    at = open_app(job=job_id)
    at.toggle(key=f"readalong_{job_id}").set_value(True).run()

    assert not at.exception and not at.get("iframe")
    assert any("before scenes were timed" in text for text in values(at.error))

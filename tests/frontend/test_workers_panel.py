"""The sidebar's pull workers (frontend/workers_panel.py): listed, none connected, a server that
takes none, a server that is away."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from frontend.api_client import ApiError
from frontend.workers_panel import NONE_CONNECTED, line
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import text_of, values
from tests.frontend.fake_api import FakeApi


def _worker_lines(at: AppTest) -> list[str]:
    """The sidebar's worker lines: the 'Workers:' caption, or one caption a worker."""
    return [text for text in values(at.sidebar.caption) if text.startswith(("**", "Workers"))]


def test_each_worker_is_listed_with_its_engine_scenes_and_when_it_was_last_heard(
    fake: FakeApi, open_app: OpenApp
):
    # 12.2 s: whole seconds read "12 s" however long the run between the fake and the page takes
    fake.add_worker("gpu-box", "chatterbox", scenes=12, leases=1, seen_ago=12.2)
    fake.add_worker("attic", "piper", scenes=1, seen_ago=250.0)

    at = open_app()

    assert not at.exception
    assert "**Workers**" in values(at.sidebar.markdown)
    assert _worker_lines(at) == [  # by name, as the server sorts them
        "**attic** · piper — 1 scene done, 0 held now, seen about 4 min ago",
        "**gpu\\-box** · chatterbox — 12 scenes done, 1 held now, seen 12 s ago",
    ]
    assert fake.calls_to("workers") == [{}]


def test_a_server_that_has_heard_from_no_worker_says_so_in_one_line(
    fake: FakeApi, open_app: OpenApp
):
    fake.workers_enabled = True

    at = open_app()

    assert not at.exception
    assert _worker_lines(at) == [NONE_CONNECTED]
    assert "**Workers**" not in values(at.sidebar.markdown)


def test_a_server_that_takes_no_workers_shows_nothing_of_them_and_no_error(
    fake: FakeApi, open_app: OpenApp
):
    at = open_app()  # a fresh fake takes no workers, as a server without a worker token

    assert not at.exception
    assert fake.calls_to("workers") == [{}]
    assert _worker_lines(at) == []
    assert "Workers" not in text_of(at.sidebar.markdown)
    assert not at.sidebar.error and not at.sidebar.warning
    assert ":green[●] Ready" in values(at.sidebar.markdown)  # the rest of the health section


def test_workers_that_cannot_be_listed_say_why_in_a_caption(fake: FakeApi, open_app: OpenApp):
    fake.fail_next(
        "workers",
        ApiError("server_timeout", "The narration server did not answer in time.", "Wait."),
    )

    at = open_app()

    assert not at.exception
    assert _worker_lines(at) == ["Workers: The narration server did not answer in time."]
    assert not at.sidebar.error


def test_a_server_that_goes_away_takes_its_workers_off_the_sidebar(
    fake: FakeApi, open_app: OpenApp
):
    fake.add_worker("gpu-box", "chatterbox", scenes=3)
    at = open_app()
    assert len(_worker_lines(at)) == 1
    fake.down = True

    at.run()  # the sidebar's timer (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert values(at.sidebar.markdown) == [":red[●] Not answering"]
    assert _worker_lines(at) == []
    assert len(fake.calls_to("workers")) == 1  # not asked while /health goes unanswered


def test_a_worker_never_heard_from_and_of_no_engine_reads_plainly():
    worker = {"name": "w1", "engine": None, "scenes": 0, "leases": 0, "last_seen": None}

    assert line(worker, 1_000.0) == "**w1** — 0 scenes done, 0 held now, not heard from yet"

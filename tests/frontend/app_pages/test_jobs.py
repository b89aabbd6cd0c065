"""Jobs (frontend/app_pages/jobs.py): every narration on the server; open or delete one."""

from __future__ import annotations

from frontend.api_client import ApiError
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import card, labelled, text_of, values
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/jobs.py"


def test_jobs_are_listed_newest_first_with_status_and_progress(fake: FakeApi, open_app: OpenApp):
    fake.add_job("Older book", scenes=4, completed=4)
    fake.add_job("Newer book", scenes=5, completed=2, processing=1)

    at = open_app(PAGE)

    assert not at.exception
    titles = [line for line in values(at.main.markdown) if line.startswith("**")]
    assert titles == ["**Newer book**", "**Older book**"]
    newer, older = card(at, "**Newer book**"), card(at, "**Older book**")
    assert values(newer.caption)[0].startswith(":blue[Narrating] · 2 of 5 scenes · ")
    assert values(older.caption)[0].startswith(":green[Completed] · 4 of 4 scenes · ")


def test_no_jobs_points_to_the_narrate_page(fake: FakeApi, open_app: OpenApp):
    at = open_app(PAGE)

    assert "No narrations yet." in values(at.caption)
    [link] = at.page_link
    assert link.label == "Start one on the Narrate page"


def test_open_switches_to_narrate_with_the_job_in_the_url(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job("The Mill", scenes=3, completed=1)
    at = open_app(PAGE)

    labelled(card(at, "**The Mill**").button, "Open").click().run()

    assert not at.exception
    assert at.query_params["job"] == job_id
    assert values(at.title) == ["Narrate"]
    assert values(at.subheader)[0] == "The Mill"


def test_delete_inside_the_popover_deletes_the_job(fake: FakeApi, open_app: OpenApp):
    keep = fake.add_job("Keep me")
    doomed = fake.add_job("Delete me")
    at = open_app(PAGE)
    popover = card(at, "**Delete me**")
    assert "Delete this narration and its audio? This cannot be undone." in values(popover.markdown)

    labelled(popover.button, "Delete for good").click().run()

    assert not at.exception
    assert fake.calls_to("delete_job") == [{"job_id": doomed}]
    assert list(fake.records) == [keep]
    assert values(at.toast) == ["Narration deleted."]
    assert "**Delete me**" not in values(at.markdown)
    assert "**Keep me**" in values(at.markdown)


def test_deleting_the_open_job_closes_it(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job("Open one")
    at = open_app(PAGE, job=job_id)

    labelled(at.main.button, "Delete for good").click().run()

    assert "job" not in at.query_params
    assert "No narrations yet." in values(at.caption)


def test_a_failed_delete_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    fake.add_job("Stuck")
    fake.fail_next(
        "delete_job",
        ApiError("internal_error", "The job folder is in use.", "Try again in a moment.", 500),
    )
    at = open_app(PAGE)

    labelled(at.main.button, "Delete for good").click().run()

    assert not at.exception
    assert "The job folder is in use." in text_of(at.error)
    assert "Try again in a moment." in text_of(at.error)
    assert "**Stuck**" in values(at.markdown)


def test_a_server_that_is_down_gives_a_warning_instead_of_the_list(
    fake: FakeApi, open_app: OpenApp
):
    fake.down = True

    at = open_app(PAGE)

    assert not at.exception
    assert "is not answering." in text_of(at.main.warning)
    assert not at.main.button

"""Jobs (frontend/app_pages/jobs.py): every narration on the server; open or delete one."""

from __future__ import annotations

from frontend.api_client import ApiError
from tests.frontend import server_errors
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import card, labelled, text_of, values
from tests.frontend.fake_api import FakeApi

PAGE = "app_pages/jobs.py"
PAUSED_LABEL = ":orange-badge[:material/pause: paused]"  # the page's own (importing it runs it)


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


# -- the queue ------------------------------------------------------------------------------


def queued_titles(at) -> list[str]:
    return [line for line in values(at.main.markdown) if line.startswith("**")]


def test_unfinished_jobs_are_listed_in_queue_order_with_their_position(
    fake: FakeApi, open_app: OpenApp
):
    first = fake.add_job("First in", scenes=3, processing=1)
    fake.add_job("Second in", scenes=3)
    fake.add_job("Done", scenes=2, completed=2)
    fake.records[first]["priority"] = 0

    at = open_app(PAGE)

    assert not at.exception
    assert queued_titles(at) == ["**First in**", "**Second in**", "**Done**"]
    assert values(card(at, "**First in**").caption)[0].endswith(" · #1 in the queue")
    assert values(card(at, "**Second in**").caption)[0].endswith(" · #2 in the queue")
    assert "in the queue" not in values(card(at, "**Done**").caption)[0]
    assert at.button(key=f"up_{first}").disabled
    assert not at.button(key=f"down_{first}").disabled
    done = card(at, "**Done**")
    assert "Move up" not in [b.label for b in done.button]  # an ended job is not in the queue


def test_move_down_reorders_the_queue_on_the_server(fake: FakeApi, open_app: OpenApp):
    first = fake.add_job("First in", scenes=3)
    second = fake.add_job("Second in", scenes=3)
    third = fake.add_job("Third in", scenes=3)
    at = open_app(PAGE)

    at.button(key=f"down_{first}").click().run()

    assert not at.exception
    assert fake.calls_to("reorder_jobs") == [{"order": [second, first, third]}]
    assert values(at.toast) == ["“First in” moves down the queue."]
    assert queued_titles(at) == ["**Second in**", "**First in**", "**Third in**"]
    assert at.button(key=f"down_{third}").disabled

    at.button(key=f"up_{third}").click().run()

    assert queued_titles(at) == ["**Second in**", "**Third in**", "**First in**"]


def test_pause_and_resume_one_job(fake: FakeApi, open_app: OpenApp):
    job_id = fake.add_job("Long book", scenes=5, completed=1, processing=1)
    at = open_app(PAGE)

    at.button(key=f"pause_{job_id}").click().run()

    assert not at.exception
    assert fake.records[job_id]["paused"] is True
    assert values(at.toast) == ["“Long book” pauses after the scene in progress."]
    assert values(at.main.markdown)[0] == f"**Long book** {PAUSED_LABEL}"

    at.button(key=f"resume_{job_id}").click().run()

    assert fake.records[job_id]["paused"] is False
    assert values(at.main.markdown)[0] == "**Long book**"
    assert [name for name, _ in fake.calls if name in ("pause_job", "resume_job")] == [
        "pause_job",
        "resume_job",
    ]


def test_pause_all_frees_the_gpu_and_resume_brings_every_job_back(fake: FakeApi, open_app: OpenApp):
    fake.use_family()
    one, two = fake.add_job("One", scenes=3, processing=1), fake.add_job("Two", scenes=3)
    at = open_app(PAGE)

    at.button(key="queue_pause_all").click().run()

    assert not at.exception
    assert fake.records[one]["paused"] and fake.records[two]["paused"]
    assert fake.model_loaded is False
    [toast] = values(at.toast)
    assert toast.startswith("Paused 2 jobs. Model unloaded")
    assert "the GPU is free" in text_of(at.main.info)
    assert not [b for b in at.main.button if b.key == "queue_pause_all"]

    at.button(key="queue_resume_all").click().run()

    assert not fake.records[one]["paused"] and not fake.records[two]["paused"]
    assert values(at.toast) == ["Resumed 2 jobs."]
    assert not at.main.info
    assert at.button(key="queue_pause_all").label == "Pause all and free the GPU"


def test_a_server_restarted_while_paused_all_shows_resume(fake: FakeApi, open_app: OpenApp):
    fake.add_job("Waiting", scenes=2)
    fake.pause_all()

    at = open_app(PAGE)

    assert at.button(key="queue_resume_all").label == "Resume"
    assert values(at.main.markdown)[0] == f"**Waiting** {PAUSED_LABEL}"


def test_a_refused_reorder_shows_the_servers_message(fake: FakeApi, open_app: OpenApp):
    first = fake.add_job("First in", scenes=3)
    fake.add_job("Second in", scenes=3)
    fake.fail_next("reorder_jobs", server_errors.job_not_found())
    at = open_app(PAGE)

    at.button(key=f"down_{first}").click().run()

    assert not at.exception
    assert "There is no such job." in text_of(at.error)
    assert queued_titles(at) == ["**First in**", "**Second in**"]

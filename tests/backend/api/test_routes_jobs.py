from __future__ import annotations

import asyncio
import io
import threading
import time
import traceback
from pathlib import Path

import soundfile as sf
from num2words import num2words

from backend.core.errors import DocumentNoText
from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from backend.jobs.store_schema import Database
from tests.helpers.api import assert_error
from tests.helpers.pdfs import image_only_pdf, text_pdf
from tests.helpers.piper_voices import make_voice
from tests.helpers.wait import wait_for

# Numbers in words: the engine hears a scene as normalised, and words are said as written.
STORY = " ".join(
    f"Sentence {num2words(i)} tells a small part of a longer story." for i in range(40)
)


def wait_job(client, job_id, states=("completed", "failed", "cancelled"), timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job stuck: {job['status']} {job['progress']}")


def post_pdf(client, data, **fields):
    return client.post("/jobs", files={"file": ("book.pdf", data, "application/pdf")}, data=fields)


def test_text_job_narrates_every_scene_and_the_whole_file(client):
    response = client.post("/jobs", data={"text": STORY})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["progress"]["total"] > 1
    assert all(s["text_status"] == "completed" for s in job["scenes"])
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    assert " ".join(s["text"] for s in done["scenes"]) == STORY
    scene = client.get(f"/jobs/{job['id']}/scenes/1/audio")
    assert scene.status_code == 200 and scene.headers["content-type"] == "audio/wav"
    wav = client.get(f"/jobs/{job['id']}/audio")
    assert wav.status_code == 200
    total = sf.info(io.BytesIO(wav.content)).duration
    assert total > sum(s["duration_seconds"] for s in done["scenes"])  # plus pauses
    mp3 = client.get(f"/jobs/{job['id']}/audio?format=mp3")
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert abs(sf.info(io.BytesIO(mp3.content)).duration - total) < 0.2
    assert [t for t, _ in client.engine.calls] == [s["text"] for s in done["scenes"]]


def test_pdf_job_answers_with_first_page_scenes_and_makes_page_images(client):
    response = post_pdf(client, text_pdf(pages=3))
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["scenes"][0]["page"] == 1
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    assert {s["page"] for s in done["scenes"]} == {1, 2, 3}
    assert [c["title"] for c in done["chapters"]] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    image = client.get(f"/jobs/{job['id']}/scenes/1/image")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_audio_is_409_until_the_job_is_complete(make_client):
    client = make_client(FakeEngine(delay=0.2))
    job = client.post("/jobs", data={"text": STORY}).json()
    response = client.get(f"/jobs/{job['id']}/audio")
    assert response.status_code == 409
    assert response.json()["error"] == "not_ready"
    last = job["progress"]["total"]
    assert client.get(f"/jobs/{job['id']}/scenes/{last}/audio").status_code == 409
    client.post(f"/jobs/{job['id']}/cancel")


def test_first_scene_is_playable_while_later_scenes_render(make_client):
    client = make_client(FakeEngine(delay=0.15))
    job = client.post("/jobs", data={"text": STORY}).json()
    deadline = time.monotonic() + 10
    while client.get(f"/jobs/{job['id']}/scenes/1/audio").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status = client.get(f"/jobs/{job['id']}").json()
    assert status["progress"]["pending"] > 0
    client.post(f"/jobs/{job['id']}/cancel")


def test_cancel_stops_between_scenes_and_really_stops(make_client):
    engine = FakeEngine(hang_when=lambda text: "Sentence ten tells" in text)
    client = make_client(engine)
    job = client.post("/jobs", data={"text": STORY}).json()
    assert engine.hanging.wait(10)  # a scene is being spoken, later ones wait their turn

    assert client.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    engine.release.set()  # the scene in progress finishes
    spoken = len(engine.calls)
    # The one synthesis thread speaks jobs in order: once a later job is done, the cancelled
    # one has had every chance to speak again.
    marker = client.post("/jobs", data={"text": "A later job."}).json()
    assert wait_job(client, marker["id"])["status"] == "completed"

    texts = [text for text, _ in engine.calls]
    assert len(texts) == spoken + 1 and texts[-1] == "A later job."
    assert spoken < job["progress"]["total"]
    assert client.get(f"/jobs/{job['id']}").json()["status"] == "cancelled"


def test_retry_reruns_only_failed_scenes(make_client):
    failures = {"Sentence five tells"}
    engine = FakeEngine(
        max_chars=60,
        fail_when=lambda text: RuntimeError("boom") if any(f in text for f in failures) else None,
    )
    client = make_client(engine)
    job = client.post("/jobs", data={"text": STORY}).json()
    failed = wait_job(client, job["id"])
    assert failed["status"] == "failed"
    assert failed["progress"]["failed"] == 1
    bad = next(s for s in failed["scenes"] if s["audio_status"] == "failed")
    assert bad["error_code"] == "synthesis_failed"
    calls_before = len(engine.calls)
    failures.clear()
    assert client.post(f"/jobs/{job['id']}/retry").json()["requeued"] == 1
    done = wait_job(client, job["id"])
    assert done["status"] == "completed"
    assert len(engine.calls) == calls_before + 1
    assert engine.calls[-1][0] == bad["text"]


def test_a_hung_scene_fails_with_scene_timeout_and_the_rest_goes_on(make_client):
    engine = FakeEngine(max_chars=60, hang_when=lambda text: "Sentence three tells" in text)
    client = make_client(engine, scene_timeout_seconds=0.5)
    try:
        job = client.post("/jobs", data={"text": STORY}).json()
        done = wait_job(client, job["id"])
        spoken = client.post("/tts", json={"text": "Still speaking after the hang."})
        health = client.get("/health").json()
    finally:
        engine.release.set()  # lets the abandoned thread finish

    hung = [s for s in done["scenes"] if s["audio_status"] == "failed"]
    assert [s["error_code"] for s in hung] == ["scene_timeout"]
    assert "Sentence three tells" in hung[0]["text"]
    assert "CHATTERBOX_SCENE_TIMEOUT_SECONDS" in hung[0]["error_message"]
    assert done["progress"]["completed"] == done["progress"]["total"] - 1  # the queue went on
    assert spoken.status_code == 200
    assert health["state"] == "ready"
    assert engine.loads == 2  # unloaded when the thread was replaced, loaded again on demand


def test_interactive_tts_is_served_between_job_scenes(make_client):
    engine = FakeEngine(hang_when=lambda text: "Sentence ten tells" in text)
    client = make_client(engine)
    job = client.post("/jobs", data={"text": STORY}).json()
    assert engine.hanging.wait(10)  # scene 2 of the job is being spoken
    answers: list[int] = []
    asking = threading.Thread(
        target=lambda: answers.append(
            client.post("/tts", json={"text": "Quick check."}).status_code
        )
    )
    asking.start()
    wait_for(lambda: client.app.state.manager.status()["in_flight"] >= 2)  # /tts is queued

    engine.release.set()
    asking.join(10)

    texts = [text for text, _ in engine.calls]
    hung = next(i for i, text in enumerate(texts) if "Sentence ten tells" in text)
    assert answers == [200]
    assert texts.index("Quick check.") == hung + 1  # waited for one scene, not the whole job
    assert client.get(f"/jobs/{job['id']}").json()["status"] == "processing"
    client.post(f"/jobs/{job['id']}/cancel")


def test_restart_resumes_without_redoing_completed_scenes(make_client):
    first = make_client(FakeEngine(delay=0.1))
    job = first.post("/jobs", data={"text": STORY}).json()
    wait_for(lambda: len(first.engine.calls) >= 2)
    first.__exit__(None, None, None)  # server stops mid-job
    spoken_before = [t for t, _ in first.engine.calls]
    assert 0 < len(spoken_before) < job["progress"]["total"]
    second = make_client(FakeEngine())
    done = wait_job(second, job["id"])
    assert done["status"] == "completed"
    spoken_after = [t for t, _ in second.engine.calls]
    assert sorted(spoken_before + spoken_after) == sorted(s["text"] for s in done["scenes"])


def test_delete_removes_the_job_and_its_files(client):
    job = client.post("/jobs", data={"text": "A short story. It ends quickly."}).json()
    wait_job(client, job["id"])
    folder = Path(client.app.state.settings.jobs_dir) / job["id"]
    assert folder.exists()
    assert client.delete(f"/jobs/{job['id']}").json() == {"deleted": job["id"]}
    assert not folder.exists()
    assert client.get(f"/jobs/{job['id']}").status_code == 404
    assert client.get("/jobs").json()["jobs"] == []


def test_job_errors_are_clear(client):
    assert client.post("/jobs", data={}).json()["error"] == "invalid_request"
    both = client.post(
        "/jobs", data={"text": "x"}, files={"file": ("a.pdf", b"%PDF", "application/pdf")}
    )
    assert both.json()["error"] == "invalid_request"
    assert client.post("/jobs", data={"text": "   "}).json()["error"] == "text_empty"
    assert post_pdf(client, b"hello world").json()["error"] == "document_unreadable"
    locked = post_pdf(client, text_pdf(password="secret"))
    assert locked.status_code == 400 and locked.json()["error"] == "document_encrypted"
    wrong = post_pdf(client, text_pdf(password="secret"), password="nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "document_encrypted"
    scanned = post_pdf(client, image_only_pdf())
    assert scanned.status_code == 422 and scanned.json()["error"] == "document_no_text"
    assert scanned.json()["solution"] == DocumentNoText.default_solution  # as the store recorded it
    bad_range = post_pdf(client, text_pdf(pages=3), pages="5-9")
    assert bad_range.status_code == 422 and bad_range.json()["error"] == "invalid_request"
    voice = client.post("/jobs", data={"text": "Hello.", "voice": "nobody"})
    assert voice.status_code == 400 and voice.json()["error"] == "voice_not_found"
    assert client.get("/jobs").json()["jobs"] == []  # nothing half-made was kept
    assert_error(
        client.get("/jobs/nope"),
        404,
        {
            "error": "job_not_found",
            "message": "There is no such job.",
            "solution": "List the jobs with GET /jobs.",
        },
    )


def test_encrypted_pdf_opens_with_its_password(client):
    response = post_pdf(client, text_pdf(pages=2, password="secret"), password="secret")
    assert response.status_code == 202, response.text
    assert wait_job(client, response.json()["id"])["status"] == "completed"


def test_unknown_scene_is_404(client):
    job = client.post("/jobs", data={"text": "One scene only."}).json()
    response = client.get(f"/jobs/{job['id']}/scenes/99/audio")
    assert response.status_code == 404 and response.json()["error"] == "scene_not_found"


def test_a_hundred_page_pdf_is_accepted_well_under_ten_seconds(make_client):
    client = make_client(FakeEngine(delay=0.05))
    data = text_pdf(pages=100, chapters=False)
    started = time.perf_counter()
    response = post_pdf(client, data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 202
    assert response.json()["scenes"], "the first page's scenes come with the answer"
    assert elapsed < 10
    client.post(f"/jobs/{response.json()['id']}/cancel")


def test_emoji_only_text_is_refused_as_tts_refuses_it_and_control_characters_go(client):
    emoji = "\U0001f389\U0001f680 \u2728"
    job = client.post("/jobs", data={"text": emoji})
    tts = client.post("/tts", json={"text": emoji})
    assert job.status_code == tts.status_code == 422
    assert job.json()["error"] == tts.json()["error"] == "text_empty"
    assert job.json()["message"] == tts.json()["message"]
    assert client.get("/jobs").json()["jobs"] == []
    made = client.post("/jobs", data={"text": "Bell\x07 and null\x00 are not read."}).json()
    assert [s["text"] for s in made["scenes"]] == ["Bell and null are not read."]


def test_no_job_route_touches_sqlite_on_the_event_loop(client, monkeypatch):
    on_loop: list[str] = []
    transaction = Database.transaction  # every store's: jobs, takes, queue, lexicon

    def probed(self, begin):
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread: where SQLite belongs
            return transaction(self, begin)
        on_loop.append(traceback.extract_stack(limit=4)[0].name)
        return transaction(self, begin)

    monkeypatch.setattr(Database, "transaction", probed)
    job = client.post("/jobs", data={"text": STORY})
    assert job.status_code == 202
    job_id = job.json()["id"]
    wait_job(client, job_id)
    for url in ("/jobs", f"/jobs/{job_id}", f"/jobs/{job_id}/scenes/1/audio"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/jobs/{job_id}/scenes/1/image").status_code == 409
    assert client.get(f"/jobs/{job_id}/audio?format=mp3").status_code == 200
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 200
    assert client.post(f"/jobs/{job_id}/retry").status_code == 200
    pdf = post_pdf(client, text_pdf(pages=2))
    assert pdf.status_code == 202
    assert client.delete(f"/jobs/{pdf.json()['id']}").status_code == 200
    assert client.delete(f"/jobs/{job_id}").status_code == 200
    assert on_loop == []


def test_concurrent_mp3_exports_all_answer_the_same_whole_file(client):
    job = client.post("/jobs", data={"text": STORY}).json()
    wait_job(client, job["id"])
    start = threading.Barrier(4)
    answers: list[tuple[int, bytes]] = []

    def export() -> None:
        start.wait()
        response = client.get(f"/jobs/{job['id']}/audio?format=mp3")
        answers.append((response.status_code, response.content))

    threads = [threading.Thread(target=export) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in answers] == [200] * 4
    wav = sf.info(io.BytesIO(client.get(f"/jobs/{job['id']}/audio").content)).duration
    for _, body in answers:
        assert abs(sf.info(io.BytesIO(body)).duration - wav) < 0.2


def test_a_job_speaks_in_the_piper_voice_it_was_given(make_client, tmp_path):
    """A named Piper voice (CHATTERBOX_PIPER_VOICES_DIR) is recorded on the job and spoken by
    every scene, not mistaken for a deleted library voice."""
    make_voice(tmp_path / "piper", "en_US-slow-medium", inference={"length_scale": 1.6})
    engine = PiperEngine(Settings(_env_file=None, piper_voices_dir=tmp_path / "piper"))
    client = make_client(engine)

    job = client.post("/jobs", data={"text": "One short line.", "voice": "en_US-slow-medium"})
    assert job.status_code == 202, job.text
    done = wait_job(client, job.json()["id"])

    assert done["voice"] == "en_US-slow-medium"
    assert done["status"] == "completed", done
    assert all(scene["audio_status"] == "completed" for scene in done["scenes"])

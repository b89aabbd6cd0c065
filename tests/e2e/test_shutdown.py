"""SIGTERM to the real server mid-work: the request in flight is answered, the running job is left
resumable, no child process survives, and the next start finishes the job."""

from __future__ import annotations

import signal
import threading
import time

import psutil
import requests

from tests.e2e.conftest import LiveServer
from tests.e2e.test_jobs_piper import job, page_texts, start_job
from tests.helpers.pdfs import pdf_from_pages
from tests.helpers.wait import wait_for

LONG_TEXT = " ".join(page_texts(12))  # several seconds of Piper speech in one /tts


def test_sigterm_answers_the_request_in_flight_and_leaves_the_job_resumable(tmp_path):
    server = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper")
    answers: list[requests.Response] = []
    try:
        server.wait_ready()
        job_id = start_job(server, pdf_from_pages(page_texts(30)))
        wait_for(lambda: job(server, job_id)["progress"]["completed"] >= 2, 120)
        speaking = threading.Thread(
            target=lambda: answers.append(
                requests.post(server.url + "/tts", json={"text": LONG_TEXT}, timeout=120)
            )
        )
        speaking.start()
        # The /tts is admitted: it holds the model (one in flight) besides its call or the job's
        # scene, and a job alone never has more than one call in flight.
        status = server.url + "/model/status"
        wait_for(lambda: requests.get(status, timeout=5).json()["in_flight"] >= 2, 60)
        family = psutil.Process(server.process.pid).children(recursive=True)

        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        stopped_in = time.monotonic() - started
        speaking.join(timeout=60)
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.log.close()

    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
    assert server.process.returncode in (0, -signal.SIGTERM)
    log = server.log_path.read_text()
    assert "Application shutdown complete." in log
    assert "Finished server process" in log
    assert stopped_in < 30
    assert [a.status_code for a in answers] == [200]  # finished, not cut off
    assert len(answers[0].content) > 44 + 22050  # more than a second of 16-bit 22 kHz audio
    # Children notice their parent is gone on their own (multiprocessing's resource tracker, for
    # one, exits when it reads end-of-file), so each gets a few seconds to do so.
    _, alive = psutil.wait_procs(family, timeout=10)
    survivors = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not survivors, [(p.pid, p.cmdline()) for p in survivors]

    again = LiveServer(tmp_path, CHATTERBOX_ENGINE="piper")
    try:
        again.wait_ready()
        left = job(again, job_id)
        assert left["status"] in ("pending", "processing")  # resumable, not failed
        assert [s for s in left["scenes"] if s["audio_status"] == "failed"] == []
        final = wait_for(lambda: (j := job(again, job_id))["status"] == "completed" and j, 240, 0.2)
    finally:
        again.stop()
    assert all(s["audio_status"] == "completed" for s in final["scenes"])

"""The bad-input corpus (tests/corpus) against the real server with Piper: each input gets its own
4xx JSON error within 5 s, a PDF whose pages hang or crash the renderer is narrated without its
images, and the same server process answers /health afterwards."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time

import psutil
import pytest
import requests

from tests.corpus.bad_inputs import CORPUS, RENDERER_CORPUS, BadInput, expanding_pdf, hour_of_mp3
from tests.e2e.conftest import LiveServer
from tests.helpers.pdfs import slow_drawing_pdf
from tests.helpers.wait import wait_for

MIB = 1024 * 1024


def assert_still_serving(server) -> None:
    assert server.process.poll() is None  # the same process: nothing restarted it
    assert requests.get(server.url + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_each_bad_input_gets_its_own_4xx_json_error_fast(piper_server, case: BadInput):
    kwargs = case.request()  # built before the clock starts

    started = time.monotonic()
    response = requests.request(case.method, piper_server.url + case.path, timeout=30, **kwargs)
    elapsed = time.monotonic() - started

    assert (response.status_code, response.json()["error"]) == (case.status, case.code)
    assert response.json()["solution"]
    assert elapsed < 5, f"{case.name} took {elapsed:.1f} s"
    assert_still_serving(piper_server)


def test_an_hour_of_mp3_is_refused_before_it_is_decoded(piper_server):
    clip = hour_of_mp3()
    process = psutil.Process(piper_server.process.pid)
    before = process.memory_info().rss
    peak, done = before, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = requests.post(
            piper_server.url + "/voices", files={"file": ("long.mp3", clip)}, timeout=30
        )
    finally:
        done.set()
        sampler.join()

    assert response.json()["error"] == "audio_too_long"
    assert (peak - before) / MIB < 50 + len(clip) / MIB  # the upload itself, nothing decoded
    assert_still_serving(piper_server)


def _raw_upload(url: str, chunked: bool, total: int = 200 * MIB) -> tuple[int, dict]:
    """POST /voices with a 200 MB body, declared or chunked, stopping once the server answers."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/voices")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    else:
        connection.putheader("Content-Length", str(total))
    connection.endheaders()
    block, sent = b"\0" * MIB, 0
    try:
        connection.send(b"%x\r\n%s\r\n" % (len(head), head) if chunked else head)
        while sent < total:
            connection.send(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed: read what it said
    response = connection.getresponse()
    import json

    return response.status, json.loads(response.read())


@pytest.mark.parametrize("chunked", [False, True], ids=["with Content-Length", "chunked"])
def test_a_200_mb_upload_is_refused_without_storing_it(piper_server, chunked):
    status, body = _raw_upload(piper_server.url, chunked)

    assert (status, body["error"]) == (413, "upload_too_large")  # how fast: the perf tier's corpus
    assert_still_serving(piper_server)


def test_the_expanding_pdf_is_small_and_nothing_of_it_is_kept(piper_server):
    # The corpus case above checks the 413 within 5 s; here: the file is small, so only the
    # character count can refuse it, and the refused job leaves no row behind.
    data = expanding_pdf()
    assert len(data) < MIB
    jobs_before = requests.get(piper_server.url + "/jobs", timeout=5).json()["jobs"]

    response = requests.post(
        piper_server.url + "/jobs", files={"file": ("book.pdf", data)}, timeout=30
    )

    assert (response.status_code, response.json()["error"]) == (413, "document_too_large")
    assert "characters of text" in response.json()["message"]
    assert requests.get(piper_server.url + "/jobs", timeout=5).json()["jobs"] == jobs_before
    assert_still_serving(piper_server)


RENDER_DEADLINE = 4.0  # the strict server's first_page_timeout_seconds: one page's drawing


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """Piper, with a short drawing deadline and a 1 GB memory limit for the PDF children."""
    server = LiveServer(
        tmp_path_factory.mktemp("strict-server"),
        CHATTERBOX_ENGINE="piper",
        CHATTERBOX_FIRST_PAGE_TIMEOUT_SECONDS=str(RENDER_DEADLINE),
        CHATTERBOX_PDF_MEMORY_MB="1024",
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def narrate(server, data: bytes) -> tuple[dict, float]:
    """Run a PDF job to its end: (the job with its scenes, seconds it took)."""
    started = time.monotonic()
    response = requests.post(server.url + "/jobs", files={"file": ("book.pdf", data)}, timeout=60)
    assert response.status_code == 202, response.text
    job_url = f"{server.url}/jobs/{response.json()['id']}"

    def settled() -> dict | None:
        job = requests.get(job_url, timeout=10).json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    job = wait_for(settled, timeout=180, interval=0.2)
    return job, time.monotonic() - started


@pytest.mark.parametrize("case", RENDERER_CORPUS, ids=[case.name for case in RENDERER_CORPUS])
def test_a_pdf_whose_pages_break_the_renderer_is_narrated_without_its_images(strict_server, case):
    pid = strict_server.process.pid

    job, seconds = narrate(strict_server, case.build())

    assert job["status"] == "completed", job
    assert job["scenes"] and all(s["audio_status"] == "completed" for s in job["scenes"])
    assert {s["image_status"] for s in job["scenes"]} == {"failed"}
    assert seconds < RENDER_DEADLINE + 60  # the drawing deadline, then the narration itself
    assert strict_server.process.pid == pid
    assert_still_serving(strict_server)
    print(f"{case.name}: narrated without images in {seconds:.1f} s")


@pytest.mark.parametrize("case", RENDERER_CORPUS, ids=[case.name for case in RENDERER_CORPUS])
def test_a_failed_scene_image_says_why(strict_server, case):
    # Needs the jobs helper's image_error column (store.set_scene_image(..., error=...)).
    job, _ = narrate(strict_server, case.build())
    assert all(case.reason in (s.get("image_error") or "") for s in job["scenes"]), job["scenes"]


def test_a_renderer_killed_mid_drawing_fails_that_image_and_the_narration_goes_on(tmp_path):
    # Like the OOM killer: kill -9 the server's PDF reader while it draws a page that would
    # take minutes (the drawing deadline here is long, so only the kill can stop it).
    server = LiveServer(
        tmp_path, CHATTERBOX_ENGINE="piper", CHATTERBOX_FIRST_PAGE_TIMEOUT_SECONDS="300"
    )
    try:
        server.wait_ready()
        response = requests.post(
            server.url + "/jobs", files={"file": ("book.pdf", slow_drawing_pdf())}, timeout=60
        )
        assert response.status_code == 202, response.text
        job_url = f"{server.url}/jobs/{response.json()['id']}"

        def drawing_reader() -> psutil.Process | None:
            # the engine host is a spawned child too (it speaks the first scenes): not that one
            engine = requests.get(server.url + "/health", timeout=10).json()["engine_host"]["pid"]
            for child in psutil.Process(server.process.pid).children():
                with contextlib.suppress(psutil.Error):
                    spawned = any("spawn_main" in part for part in child.cmdline())
                    spawned = spawned and child.pid != engine
                    if spawned and child.cpu_times().user > 2.0:  # past its start-up imports
                        return child
            return None

        victim = wait_for(drawing_reader, timeout=120, interval=0.1)
        killed_at = time.monotonic()
        victim.kill()

        def settled() -> dict | None:
            job = requests.get(job_url, timeout=10).json()
            return job if job["status"] in ("completed", "failed") else None

        job = wait_for(settled, timeout=120, interval=0.2)
        assert job["status"] == "completed", job
        assert all(s["audio_status"] == "completed" for s in job["scenes"])
        assert {s["image_status"] for s in job["scenes"]} == {"failed"}
        assert_still_serving(server)
        print(f"reader killed: job completed {time.monotonic() - killed_at:.1f} s later")
    finally:
        server.stop()

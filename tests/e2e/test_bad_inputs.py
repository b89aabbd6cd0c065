"""The bad-input corpus (tests/corpus) against the real server with Piper: each input gets its own
4xx JSON error within 5 s, and the same server process answers /health afterwards."""

from __future__ import annotations

import http.client
import threading
import time

import psutil
import pytest
import requests

from tests.corpus.bad_inputs import CORPUS, BadInput, expanding_pdf, hour_of_mp3

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
    started = time.monotonic()
    status, body = _raw_upload(piper_server.url, chunked)

    assert (status, body["error"]) == (413, "upload_too_large")
    assert time.monotonic() - started < 10
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

    assert (response.status_code, response.json()["error"]) == (413, "pdf_too_large")
    assert "characters of text" in response.json()["message"]
    assert requests.get(piper_server.url + "/jobs", timeout=5).json()["jobs"] == jobs_before
    assert_still_serving(piper_server)

"""Tests for backend/jobs/pdf_pool.py and pdf_child.py: opening, decrypting and drawing a PDF
happen in reader children, and a page that hangs, needs too much memory or whose reader is killed
fails with a clear error within its deadline while this process (the server's) goes on.

The hostile PDFs are real: tests/helpers/pdfs.py builds them (about 1.4 KB each).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from backend.core.errors import DocumentUnreadable
from backend.jobs import pdf_pool
from backend.jobs.pdf import PdfLimits, decrypted, extract_pages, open_info, render_region
from tests.helpers.pdfs import memory_bomb_pdf, slow_drawing_pdf, text_pdf

DEADLINE = 3.0
LIMITS = PdfLimits(first_page_timeout=DEADLINE, memory_mb=1024)


def readers() -> list[multiprocessing.process.BaseProcess]:
    return [child for child in multiprocessing.active_children() if child.name == "pdf-reader"]


@pytest.fixture(autouse=True)
def _fresh_pool() -> Iterator[None]:
    """Each test starts without readers and leaves none behind it."""
    pdf_pool.POOL.close()
    yield
    pdf_pool.POOL.close()
    assert readers() == []


def first_block(data: bytes) -> tuple[float, float, float, float]:
    [page] = list(extract_pages(data))
    return page.blocks[0].bbox


def timed_render(data: bytes, bbox) -> tuple[DocumentUnreadable, float]:
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable) as caught:
        render_region(data, None, 1, bbox, limits=LIMITS)
    return caught.value, time.monotonic() - started


def test_opening_and_decrypting_are_answered_by_a_reader_child_not_this_process() -> None:
    data = text_pdf(pages=2, password="secret")
    info = open_info(data, "secret", limits=LIMITS)
    [reader] = readers()
    assert reader.pid != os.getpid() and reader.is_alive()
    assert (info["page_count"], info["encrypted"]) == (2, True)
    assert info["outline"] == [(1, "Chapter 1", 1), (1, "Chapter 2", 2)]
    plain = decrypted(data, "secret", limits=LIMITS)
    assert open_info(plain, limits=LIMITS)["encrypted"] is False
    [first, _] = list(extract_pages(plain))  # and its text reads without the password
    assert first.blocks[0].text.startswith("Page 1 begins here.")
    assert len(readers()) == 1  # the same reader answered all three, holding the document


def test_a_page_that_takes_forever_to_draw_fails_within_its_deadline(capsys) -> None:
    data = slow_drawing_pdf()
    bbox = first_block(data)  # its text is read at once: only drawing it is slow
    pid = os.getpid()

    error, elapsed = timed_render(data, bbox)

    assert f"Drawing page 1 of the PDF took longer than {DEADLINE:g} seconds" in error.message
    assert error.solution
    assert elapsed < DEADLINE + 2
    assert readers() == [] and os.getpid() == pid  # the reader was stopped, not this process
    # The next scene on that page fails at once, and the reader pool still draws other PDFs.
    again, elapsed_again = timed_render(data, bbox)
    assert again.message == error.message and elapsed_again < elapsed / 10
    assert render_region(text_pdf(), None, 1, None, limits=LIMITS).startswith(b"\x89PNG")
    with capsys.disabled():
        print(f"\nhanging page: clear error after {elapsed:.2f} s (deadline {DEADLINE:g} s)")


def test_a_page_needing_more_memory_than_the_limit_fails_with_the_limit_named(capsys) -> None:
    data = memory_bomb_pdf()  # 3.2 GB of JPEG coefficients, declared in 1.4 KB
    bbox = first_block(data)
    rss_before = psutil.Process().memory_info().rss

    error, elapsed = timed_render(data, bbox)

    assert "needed more than the 1024 MB of memory the PDF reader may use" in error.message
    assert "CHATTERBOX_PDF_MEMORY_MB" in error.solution
    assert elapsed < DEADLINE
    assert psutil.Process().memory_info().rss - rss_before < 200 * 1024 * 1024
    again, _ = timed_render(data, bbox)  # not a blank picture the second time
    assert again.message == error.message
    with capsys.disabled():
        print(f"\nmemory bomb: clear error after {elapsed:.2f} s")


def test_a_reader_killed_mid_drawing_fails_that_image_and_the_next_one_draws(capsys) -> None:
    data = slow_drawing_pdf()
    bbox = first_block(data)
    outcome: list[BaseException] = []
    started = time.monotonic()

    def draw() -> None:
        try:
            render_region(data, None, 1, bbox, limits=PdfLimits(first_page_timeout=60))
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    drawer = threading.Thread(target=draw)
    drawer.start()
    # Like the OOM killer: SIGKILL the reader once it is busy drawing (it uses processor time).
    victim = None
    deadline = time.monotonic() + 30
    while victim is None and time.monotonic() < deadline:
        busy = [c for c in psutil.Process().children() if c.cpu_times().user > 2.0]
        victim = next((c for c in busy if c.pid in {r.pid for r in readers()}), None)
        time.sleep(0.05)
    assert victim is not None, "the reader never started drawing"
    os.kill(victim.pid, signal.SIGKILL)
    drawer.join(10)
    elapsed = time.monotonic() - started

    assert not drawer.is_alive()
    [error] = outcome
    assert isinstance(error, DocumentUnreadable)
    assert "stopped unexpectedly (it was killed, exit code -9)" in error.message
    assert "drawing page 1" in error.message
    assert readers() == []
    assert render_region(text_pdf(), None, 1, None, limits=LIMITS).startswith(b"\x89PNG")
    with capsys.disabled():
        print(f"\nreader killed: clear error {elapsed:.2f} s after the render began")


def test_a_reader_that_left_on_being_idle_is_replaced_without_an_error(monkeypatch) -> None:
    monkeypatch.setattr(pdf_pool, "IDLE_SECONDS", 0.2)
    data = text_pdf()
    assert open_info(data, limits=LIMITS)["page_count"] == 3
    [reader] = readers()
    reader.join(10)  # it leaves by itself once no request came for 0.2 s
    assert reader.exitcode == 0
    assert open_info(data, limits=LIMITS)["page_count"] == 3


def test_every_child_runs_under_the_memory_limit() -> None:
    data = text_pdf()
    open_info(data, limits=PdfLimits(memory_mb=700))
    [reader] = readers()
    soft, _ = psutil.Process(reader.pid).rlimit(psutil.RLIMIT_AS)
    assert soft == 700 * 1024 * 1024
    with_limit = extract_pages(data, limits=PdfLimits(memory_mb=600))
    next(with_limit)
    [extractor] = [c for c in multiprocessing.active_children() if c.name == "pdf-extract"]
    assert psutil.Process(extractor.pid).rlimit(psutil.RLIMIT_AS)[0] == 600 * 1024 * 1024
    with_limit.close()


def test_spawning_a_reader_costs_once_per_job_not_once_per_image(capsys) -> None:
    data = text_pdf(pages=10)
    started = time.perf_counter()
    render_region(data, None, 1, None, limits=LIMITS)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for number in range(2, 11):
        render_region(data, None, number, None, limits=LIMITS)
    later = (time.perf_counter() - started) / 9
    assert len(readers()) == 1
    assert later < first / 3  # measured in one run: the spawn is paid by the first image only
    with capsys.disabled():
        print(f"\nfirst image (spawn + open) {first * 1000:.0f} ms, next {later * 1000:.1f} ms")

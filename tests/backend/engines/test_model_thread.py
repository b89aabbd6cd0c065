"""ModelThread: FIFO on one thread, and a stuck call replaced without losing what is queued."""

from __future__ import annotations

import threading
import time

import pytest

from backend.engines.model_thread import ModelThread


def test_calls_run_one_at_a_time_in_arrival_order_on_one_thread():
    worker = ModelThread()
    order, names = [], set()

    def note(i: int) -> int:
        order.append(i)
        names.add(threading.current_thread().name)
        return i * 2

    futures = [worker.submit(note, i) for i in range(20)]

    assert [f.result(timeout=5) for f in futures] == [i * 2 for i in range(20)]
    assert order == list(range(20))
    assert names == {"model-1"}
    worker.shutdown()


def test_a_replaced_stuck_call_leaves_the_queue_to_a_fresh_thread_that_runs_first_first():
    worker = ModelThread()
    stuck, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def hang() -> str:
        stuck.set()
        release.wait()
        ran.append(f"hung call returned on {threading.current_thread().name}")
        return "late"

    hung = worker.submit(hang)
    queued = [worker.submit(lambda i=i: ran.append(f"queued {i}")) for i in range(3)]
    assert stuck.wait(5)

    worker.replace(first=lambda: ran.append("first"))
    for future in queued:
        future.result(timeout=5)

    assert ran == ["first", "queued 0", "queued 1", "queued 2"]
    release.set()
    assert hung.result(timeout=5) == "late"
    time.sleep(0.1)
    after = worker.submit(lambda: threading.current_thread().name).result(timeout=5)
    assert after == "model-2"  # the old thread took nothing more after its call returned
    worker.shutdown()


def test_an_exception_reaches_the_caller_and_the_thread_goes_on():
    worker = ModelThread()

    with pytest.raises(ValueError, match="bad"):
        worker.submit(lambda: (_ for _ in ()).throw(ValueError("bad"))).result(timeout=5)
    assert worker.submit(lambda: 42).result(timeout=5) == 42
    worker.shutdown()


def test_shutdown_cancels_what_is_queued_and_refuses_new_calls():
    worker = ModelThread()
    gate = threading.Event()
    running = worker.submit(gate.wait, 5)
    queued = worker.submit(lambda: "never")
    time.sleep(0.05)

    closer = threading.Thread(target=worker.shutdown, kwargs={"cancel_futures": True})
    closer.start()
    time.sleep(0.05)
    gate.set()
    closer.join(5)

    assert running.result(timeout=5) is True
    assert queued.cancelled()
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)

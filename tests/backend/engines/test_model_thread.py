"""ModelThread: FIFO on one thread, and a stuck call replaced without losing what is queued."""

from __future__ import annotations

import threading

import pytest

from backend.engines.model_thread import ModelThread
from tests.helpers.wait import wait_for


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
    old = next(thread for thread in threading.enumerate() if thread.name == "model-1")

    worker.replace(first=lambda: ran.append("first"))
    for future in queued:
        future.result(timeout=5)

    assert ran == ["first", "queued 0", "queued 1", "queued 2"]
    release.set()
    assert hung.result(timeout=5) == "late"
    old.join(5)
    assert not old.is_alive()  # it exited once its call returned
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
    assert running.wait_started(5)

    closer = threading.Thread(target=worker.shutdown, kwargs={"cancel_futures": True})
    closer.start()
    wait_for(queued.cancelled)  # shutdown has begun: it waits on the running call
    assert closer.is_alive()
    gate.set()
    closer.join(5)

    assert running.result(timeout=5) is True
    assert queued.cancelled()
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)


def test_a_call_says_when_it_starts_running_not_when_it_was_queued():
    worker = ModelThread()
    gate = threading.Event()
    first = worker.submit(gate.wait, 5)
    second = worker.submit(lambda: "ran")

    assert first.wait_started(5)
    assert not second.wait_started(0)  # queued behind the first: not started
    gate.set()
    assert second.wait_started(5)
    assert second.result(timeout=5) == "ran"
    worker.shutdown()


def test_waiting_for_the_start_of_a_call_cancelled_while_queued_returns():
    worker = ModelThread()
    gate = threading.Event()
    worker.submit(gate.wait, 5)
    queued = worker.submit(lambda: "never")

    assert queued.cancel()
    assert queued.wait_started(5)  # done without running: nothing to wait for
    gate.set()
    worker.shutdown()

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from backend.core.errors import (
    EnvironmentNotSetup,
    ModelLoadFailed,
    ServerBusy,
    SynthesisFailed,
    TextEmpty,
)
from backend.core.speech import SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager, ModelState
from tests.helpers.clock import ManualClock


def speak(engine, text="hello"):
    return engine.synthesize(text, engine.prepare_voice(None), SynthesisParams())


HOLD = "hold"  # the text the fake engine blocks on until its `release` event is set


def wait_for(predicate, timeout=5.0):
    """A bounded poll on a condition (never a sleep that orders events)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def held(engine):
    return speak(engine, HOLD)


@pytest.fixture
def make_manager():
    """A manager over a FakeEngine whose texts "hold" block until `engine.release` is set, timed
    by a hand-driven clock (`manager.clock.advance(seconds)` fires the idle timer)."""
    managers = []

    def make(keep_alive=-1, **engine_kwargs):
        engine_kwargs.setdefault("hang_when", lambda text: text == HOLD)
        engine = FakeEngine(**engine_kwargs)
        manager = ModelManager(engine, keep_alive=keep_alive, clock=ManualClock())
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.engine.release.set()
        manager.close()


def in_thread(fn, *args, **kwargs):
    """Run fn in a thread; returns (thread, outcome) where outcome gets "result" or "error"."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = fn(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_first_request_loads_the_model_transparently(make_manager):
    manager = make_manager()
    assert manager.state == ModelState.UNLOADED
    audio = manager.call(speak)
    assert audio.seconds > 0
    assert manager.state == ModelState.READY
    assert manager.engine.loads == 1


def test_keep_alive_below_zero_stays_resident(make_manager):
    manager = make_manager(keep_alive=-1)
    manager.call(speak)
    manager.clock.advance(24 * 3600)
    assert manager.clock.armed() == 0
    assert manager.state == ModelState.READY
    assert manager.status()["expires_at"] is None


def test_keep_alive_zero_unloads_after_each_request(make_manager):
    manager = make_manager(keep_alive=0)
    manager.call(speak)
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)
    manager.call(speak)
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)
    assert manager.engine.loads == 2
    assert manager.engine.unloads == 2


def test_keep_alive_n_unloads_after_n_idle_seconds(make_manager):
    manager = make_manager(keep_alive=30)
    manager.call(speak)
    status = manager.status()
    assert status["state"] == "ready"
    assert status["expires_in"] == 30
    manager.clock.advance(29.5)
    assert manager.status()["expires_in"] == 0.5
    assert manager.state == ModelState.READY
    manager.clock.advance(0.5)
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)
    assert manager.status()["expires_at"] is None
    assert manager.engine.unloads == 1


def test_new_request_cancels_pending_idle_unload(make_manager):
    manager = make_manager(keep_alive=30)
    manager.call(speak)
    for _ in range(4):  # each request lands before the previous timer would fire
        manager.clock.advance(20)
        manager.call(speak)
    assert manager.clock.armed() == 1  # only the latest request's timer is left
    assert manager.state == ModelState.READY
    assert manager.engine.unloads == 0
    manager.clock.advance(30)
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)


def test_idle_timer_does_not_run_while_work_is_in_flight(make_manager):
    manager = make_manager(keep_alive=10)
    future = manager.submit(held)
    assert manager.engine.hanging.wait(5)
    manager.clock.advance(60)  # longer than keep_alive, but the request is still running
    assert manager.status()["expires_at"] is None
    assert manager.clock.armed() == 0
    manager.engine.release.set()
    future.result(5)
    assert manager.engine.unloads == 0
    manager.clock.advance(10)
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)


def test_hold_keeps_model_resident_between_calls_with_keep_alive_zero(make_manager):
    manager = make_manager(keep_alive=0)
    with manager.hold():
        for _ in range(3):
            manager.call(speak)  # returns after its release, which would queue the unload
        assert manager.engine.unloads == 0
    assert wait_for(lambda: manager.state == ModelState.UNLOADED)
    assert manager.engine.loads == 1


def test_calls_are_serialised_in_arrival_order(make_manager):
    manager = make_manager(delay=0.02)
    futures = [manager.submit(lambda e, i=i: speak(e, f"text {i}")) for i in range(20)]
    for future in futures:
        future.result()
    assert manager.engine.max_active == 1
    assert [text for text, _ in manager.engine.calls] == [f"text {i}" for i in range(20)]


def test_concurrent_threads_never_run_the_engine_twice_at_once(make_manager):
    manager = make_manager(delay=0.01)
    threads = [threading.Thread(target=manager.call, args=(speak,)) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert manager.engine.max_active == 1
    assert len(manager.engine.calls) == 16


def test_unload_while_busy_drains_running_work_and_new_work_waits_for_reload(make_manager):
    manager = make_manager()

    async def scenario():
        running = asyncio.ensure_future(manager.run(held))
        assert await asyncio.to_thread(manager.engine.hanging.wait, 5)
        # Tasks take their first step in creation order: the unload is queued before `later`.
        unload = asyncio.ensure_future(manager.unload())
        later = asyncio.ensure_future(manager.run(speak))
        assert await asyncio.to_thread(wait_for, lambda: manager.status()["in_flight"] == 2)
        assert manager.engine.loads == 1
        manager.engine.release.set()
        first = await running
        report = await unload
        second = await later
        return first, report, second

    first, report, second = asyncio.run(scenario())
    assert first.seconds > 0 and second.seconds > 0
    assert report["unloaded"] is True
    assert manager.engine.loads == 2  # the request after the unload reloaded
    assert manager.state == ModelState.READY


def test_unload_reports_memory_before_after_and_freed(make_manager):
    manager = make_manager()
    manager.call(speak)
    report = asyncio.run(manager.unload())
    assert report["unloaded"] is True
    for key in ("rss_bytes", "vram_allocated_bytes", "vram_reserved_bytes"):
        assert key in report["before"] and key in report["after"] and key in report["freed"]
    assert (
        report["freed"]["rss_bytes"] == report["before"]["rss_bytes"] - report["after"]["rss_bytes"]
    )
    assert manager.state == ModelState.UNLOADED
    again = asyncio.run(manager.unload())
    assert again["unloaded"] is False


def test_engine_failure_is_wrapped_as_synthesis_failed(make_manager):
    manager = make_manager(
        fail_when=lambda text: RuntimeError("CUDA out of memory") if "bad" in text else None
    )
    with pytest.raises(SynthesisFailed) as caught:
        manager.call(lambda e: speak(e, "bad text"))
    assert "CUDA out of memory" in caught.value.message
    assert manager.call(speak).seconds > 0  # the manager still works afterwards
    assert manager.status()["in_flight"] == 0


def test_domain_errors_pass_through_unwrapped(make_manager):
    manager = make_manager()

    def fail(engine):
        raise TextEmpty()

    with pytest.raises(TextEmpty):
        manager.call(fail)


def test_load_failure_is_model_load_failed_and_next_request_retries(make_manager):
    manager = make_manager(fail_load=OSError("disk read error"))
    with pytest.raises(ModelLoadFailed) as caught:
        manager.call(speak)
    assert "disk read error" in caught.value.message
    status = manager.status()
    assert status["state"] == "error"
    assert status["last_error"]["error"] == "model_load_failed"
    manager.engine.fail_load = None
    assert manager.call(speak).seconds > 0
    assert manager.status()["last_error"] is None


def test_missing_environment_is_reported_not_wrapped(make_manager):
    manager = make_manager(environment_error=EnvironmentNotSetup())
    with pytest.raises(EnvironmentNotSetup):
        manager.call(speak)
    assert manager.state == ModelState.ERROR


def test_event_loop_stays_free_during_synthesis(make_manager):
    manager = make_manager()
    # Should `run` block the loop, the call ends only when this lets it go: the test fails
    # (the call is done by then) instead of hanging.
    safety = threading.Timer(10, manager.engine.release.set)
    safety.start()

    async def scenario():
        task = asyncio.ensure_future(manager.run(held))
        deadline = time.monotonic() + 5
        while not manager.engine.hanging.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)  # a poll: the loop keeps turning meanwhile
        await asyncio.to_thread(lambda: None)  # the loop still serves other work
        seen = task.done(), manager.engine.release.is_set(), manager.status()
        manager.engine.release.set()
        await task
        return seen

    done, released, status = asyncio.run(scenario())
    safety.cancel()
    assert (done, released) == (False, False)  # reached while the model call was still running
    assert status["in_flight"] == 1


def test_background_load_failure_leaves_loading_to_first_request(make_manager):
    manager = make_manager(fail_load=OSError("not yet"))
    manager.start_background_load()
    assert wait_for(lambda: manager.state == ModelState.ERROR)
    manager.engine.fail_load = None
    manager.call(speak)
    assert manager.state == ModelState.READY


def test_background_import_imports_the_libraries_without_loading(make_manager):
    manager = make_manager()

    manager.start_background_import()

    assert wait_for(lambda: manager.engine.runtime_imports == 1)
    assert manager.state == ModelState.UNLOADED
    assert not manager.engine.is_loaded()


def test_a_failed_background_import_only_logs_and_the_first_request_still_loads(make_manager):
    manager = make_manager()
    manager.engine.import_runtime = lambda: (_ for _ in ()).throw(ImportError("no torch"))

    manager.start_background_import()
    manager.call(speak)

    assert manager.state == ModelState.READY


def test_admit_refuses_past_max_waiting_with_a_retry_after_from_recent_calls(make_manager):
    manager = make_manager(delay=0.05)
    manager.max_waiting = 2
    manager.call(speak)  # one call of about 0.05 s: the estimate's basis

    with manager.admit(), manager.admit(), pytest.raises(ServerBusy) as busy, manager.admit():
        pass
    with manager.admit():  # places free again once the requests finish
        pass

    assert busy.value.status_code == 429
    assert busy.value.extra["retry_after"] == 1  # ceil(2 waiting x 0.05 s), at least 1 s
    assert "2 requests are already waiting" in busy.value.message


def test_close_lets_running_work_finish_and_unloads(make_manager):
    manager = make_manager()
    running = manager.submit(held)
    assert manager.engine.hanging.wait(5)
    closer, outcome = in_thread(manager.close)
    assert wait_for(lambda: manager._closed)  # close() waits on the running call
    assert closer.is_alive()
    manager.engine.release.set()
    closer.join(5)
    assert outcome == {"result": None}
    assert running.result().seconds > 0
    assert manager.state == ModelState.UNLOADED
    assert not manager.engine.is_loaded()


def test_work_cancelled_while_queued_never_runs_and_is_no_longer_in_flight(make_manager):
    manager = make_manager(keep_alive=0)
    holding = manager.submit(lambda engine: engine.synthesize(HOLD, None, SynthesisParams()))
    assert manager.engine.hanging.wait(5)
    queued = manager.submit(speak)

    assert queued.cancel()  # a client that left before its turn came
    manager.engine.release.set()
    holding.result(5)

    assert manager.status()["in_flight"] == 0
    assert [text for text, _ in manager.engine.calls] == ["hold"]
    assert wait_for(lambda: not manager.engine.is_loaded())  # the idle unload runs again


def test_time_queued_behind_a_long_call_does_not_count_against_the_timeout(make_manager):
    manager = make_manager()
    tts = manager.submit(held)  # a long /tts, which has no timeout of its own
    assert manager.engine.hanging.wait(5)
    scene, outcome = in_thread(manager.call, speak, timeout=5)
    assert wait_for(lambda: manager.status()["in_flight"] == 2)  # the scene is queued

    manager.clock.advance(60)  # queued far longer than its timeout
    assert manager.clock.armed() == 0  # its clock has not started
    manager.engine.release.set()
    scene.join(5)

    assert outcome["result"].seconds > 0, outcome
    assert tts.result(5).seconds > 0
    assert manager.engine.unloads == 0  # no restart: nothing was stopped


def test_a_call_that_runs_past_its_timeout_is_abandoned_and_the_model_restarts(make_manager):
    manager = make_manager()
    scene, outcome = in_thread(manager.call, held, timeout=5)
    assert manager.engine.hanging.wait(5)
    assert wait_for(lambda: manager.clock.armed() == 1)  # the clock started with the call

    manager.clock.advance(4.9)
    assert scene.is_alive()
    manager.clock.advance(0.1)
    scene.join(5)

    assert isinstance(outcome.get("error"), TimeoutError), outcome
    assert "ran more than 5 s" in str(outcome["error"])
    assert manager.call(speak).seconds > 0  # a fresh model thread answers the next call
    assert manager.engine.loads == 2  # the engine was unloaded and loaded again


def test_a_timed_call_that_finishes_in_time_leaves_no_timer_behind(make_manager):
    manager = make_manager()
    assert manager.call(speak, timeout=5).seconds > 0
    assert manager.clock.armed() == 0
    manager.clock.advance(5)
    assert manager.engine.unloads == 0


def test_memory_is_collected_only_when_a_model_was_unloaded(make_manager, monkeypatch):
    collections = []
    monkeypatch.setattr("backend.engines.manager.release_memory", lambda: collections.append(1))
    manager = make_manager()

    asyncio.run(manager.unload())  # nothing loaded: no full collection on the model thread
    assert collections == []
    manager.call(speak)
    asyncio.run(manager.unload())
    assert collections == [1]
    manager.close()  # unloaded already
    assert collections == [1]

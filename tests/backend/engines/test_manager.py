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
from backend.engines.base import SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager, ModelState


def speak(engine, text="hello"):
    return engine.synthesize(text, engine.prepare_voice(None), SynthesisParams())


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def make_manager():
    managers = []

    def make(keep_alive=-1, **engine_kwargs):
        manager = ModelManager(FakeEngine(**engine_kwargs), keep_alive=keep_alive)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.close()


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
    time.sleep(0.2)
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
    manager = make_manager(keep_alive=0.3)
    manager.call(speak)
    status = manager.status()
    assert status["state"] == "ready"
    assert status["expires_at"] is not None
    assert 0 < status["expires_in"] <= 0.3
    time.sleep(0.1)
    assert manager.state == ModelState.READY
    assert wait_for(lambda: manager.state == ModelState.UNLOADED, timeout=2)
    assert manager.status()["expires_at"] is None


def test_new_request_cancels_pending_idle_unload(make_manager):
    manager = make_manager(keep_alive=0.4)
    manager.call(speak)
    for _ in range(4):  # each request lands before the previous timer would fire
        time.sleep(0.25)
        manager.call(speak)
    assert manager.state == ModelState.READY
    assert manager.engine.unloads == 0
    assert wait_for(lambda: manager.state == ModelState.UNLOADED, timeout=2)


def test_idle_timer_does_not_run_while_work_is_in_flight(make_manager):
    manager = make_manager(keep_alive=0.1, delay=0.5)
    future = manager.submit(speak)
    time.sleep(0.3)  # longer than keep_alive, but the request is still running
    assert manager.status()["expires_at"] is None
    future.result()
    assert manager.engine.unloads == 0
    assert wait_for(lambda: manager.state == ModelState.UNLOADED, timeout=2)


def test_hold_keeps_model_resident_between_calls_with_keep_alive_zero(make_manager):
    manager = make_manager(keep_alive=0)
    with manager.hold():
        for _ in range(3):
            manager.call(speak)
            time.sleep(0.05)
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
    manager = make_manager(delay=0.3)

    async def scenario():
        running = asyncio.ensure_future(manager.run(speak))
        await asyncio.sleep(0.05)
        unload = asyncio.ensure_future(manager.unload())
        await asyncio.sleep(0.05)
        later = asyncio.ensure_future(manager.run(speak))
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
    manager = make_manager(delay=1.0)

    async def scenario():
        task = asyncio.ensure_future(manager.run(speak))
        await asyncio.sleep(0.05)
        gaps = []
        for _ in range(10):
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            gaps.append(time.perf_counter() - started)
        status_started = time.perf_counter()
        status = manager.status()
        status_time = time.perf_counter() - status_started
        await task
        return gaps, status, status_time

    gaps, status, status_time = asyncio.run(scenario())
    assert max(gaps) < 0.05
    assert status["in_flight"] == 1
    assert status_time < 0.05


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
    manager = make_manager(delay=0.4)
    manager.max_waiting = 2
    manager.call(speak)  # one call of about 0.4 s: the estimate's basis

    with manager.admit(), manager.admit(), pytest.raises(ServerBusy) as busy, manager.admit():
        pass
    with manager.admit():  # places free again once the requests finish
        pass

    assert busy.value.status_code == 429
    assert busy.value.extra["retry_after"] == 1  # ceil(2 waiting x 0.4 s)
    assert "2 requests are already waiting" in busy.value.message


def test_close_lets_running_work_finish_and_unloads(make_manager):
    manager = make_manager(delay=0.3)
    running = manager.submit(speak)
    time.sleep(0.05)
    manager.close()
    assert running.result().seconds > 0
    assert manager.state == ModelState.UNLOADED
    assert not manager.engine.is_loaded()


def test_work_cancelled_while_queued_never_runs_and_is_no_longer_in_flight(make_manager):
    manager = make_manager(keep_alive=0.05, hang_when=lambda text: text == "hold")
    holding = manager.submit(lambda engine: engine.synthesize("hold", None, SynthesisParams()))
    assert wait_for(lambda: manager.engine.active == 1)
    queued = manager.submit(speak)

    assert queued.cancel()  # a client that left before its turn came
    manager.engine.release.set()
    holding.result(5)

    assert manager.status()["in_flight"] == 0
    assert [text for text, _ in manager.engine.calls] == ["hold"]
    assert wait_for(lambda: not manager.engine.is_loaded())  # the idle unload runs again

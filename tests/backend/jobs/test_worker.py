"""The job runner driven directly: a fake engine whose takes announce themselves (`gated`) and
wait for the test (`release`), a page source the test paces page by page, and a real JobStore
in tmp_path. Shutdown follows the server's lifespan: runner.stop, manager.close, runner.close."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from backend.core.errors import DocumentTooLarge, JobSourceMissing
from backend.core.settings import Settings
from backend.core.speech import Audio, SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager
from backend.jobs.pdf import Block, Page, PdfLimits
from backend.jobs.store import JobStore
from backend.jobs.worker import JobRunner
from backend.text.normalize import normalize
from backend.voices.store import VoiceStore

STORY = " ".join(f"Sentence {i} tells a small part of a longer story." for i in range(40))
WAIT = 30.0  # a bound on every wait for a condition, never an expected duration


class GatedEngine(FakeEngine):
    """A FakeEngine whose takes from number `after` + 1 on (and any text `gate` picks) set
    `gated` and then wait for `release`; `finished` counts the takes that returned. (FakeEngine's
    own `started` is set by every take, gated or not.)"""

    def __init__(self, after: int = 0, gate: Callable[[str], bool] | None = None, **kw: Any):
        super().__init__(**kw)
        self.after = after
        self.gate = gate
        self.gated = threading.Event()
        self.finished = 0

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        gated = self.gate(text) if self.gate is not None else len(self.calls) >= self.after
        if gated:
            self.gated.set()
            assert self.release.wait(WAIT), "the test never released the take"
        audio = super().synthesize(text, handle, params)
        self.finished += 1
        return audio


class PagedSource:
    """A page source standing in for the PDF child: page n comes once the test allows it."""

    def __init__(self, count: int):
        self.count = count
        self._allowed = 0
        self._cond = threading.Condition()
        self.closed = threading.Event()  # the extractor let go of the pages (stopped or done)

    def allow(self, pages: int) -> None:
        with self._cond:
            self._allowed = pages
            self._cond.notify_all()

    def __call__(
        self, data: bytes, password: str | None, pages: str | None, limits: PdfLimits, fmt: str
    ):
        self.closed.clear()
        return self._pages()

    def _pages(self) -> Iterator[Page]:
        try:
            for number in range(1, self.count + 1):
                with self._cond:
                    assert self._cond.wait_for(lambda n=number: self._allowed >= n, WAIT)
                text = f"Page {number} has one plain sentence to read."
                yield Page(number, [Block(text, (10.0, 10.0, 200.0, 40.0))], None)
        finally:
            self.closed.set()


def wait_for(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class Rig:
    """One runner with its manager, store and settings, as the lifespan builds them."""

    def __init__(
        self,
        tmp_path: Path,
        engine: FakeEngine,
        pages: Any = None,
        checker: Any = None,
        **overrides: Any,
    ):
        self.settings = Settings(
            _env_file=None,
            data_dir=tmp_path / "data",
            model_cache_dir=tmp_path / "model_cache",
            load_on_startup=False,
            **({"quality_check": "off"} | overrides),
        )
        self.engine = engine
        self.store = JobStore(self.settings.jobs_db)
        self.manager = ModelManager(engine)
        voices = VoiceStore(self.settings.voices_dir, self.settings.voice_import_dir)
        extra: dict[str, Any] = {} if pages is None else {"pages": pages}
        if checker is not None:  # a stand-in for Whisper (tests/backend/jobs/test_checking.py)
            extra["checker"] = checker
        self.runner = JobRunner(self.store, self.manager, voices, self.settings, **extra)
        self.down = False

    def shutdown(self, wait: float = 30.0) -> None:
        """The lifespan's order; `wait` bounds how long stop() waits for a take."""
        if self.down:
            return
        self.down = True
        self.runner.stop(wait)
        self.manager.close()
        self.runner.close()

    def job(self, job_id: str) -> dict[str, Any]:
        return self.store.get_job(job_id)

    def settled(self, job_id: str) -> dict[str, Any]:
        return wait_for(
            lambda: (job := self.job(job_id))["status"] in ("completed", "failed") and job
        )

    def text_job(self, text: str = STORY) -> str:
        job_id = self.store.create_job("Story", "text", None, "builtin", {}, None)["id"]
        self.runner.submit_text(job_id, text)
        return job_id

    def pdf_job(self, source: bool = True) -> str:
        job_id = self.store.create_job("Book", "pdf", None, "builtin", {}, None)["id"]
        if source:
            path = self.runner.job_dir(job_id) / "source.pdf"
            path.parent.mkdir(parents=True)
            path.write_bytes(b"%PDF-1.7 stands in for a document the page source reads")
            self.store.set_source_path(job_id, path)
        return job_id


@pytest.fixture
def rigs(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(engine: FakeEngine | None = None, pages: Any = None) -> Rig:
        rig = Rig(tmp_path, engine or FakeEngine(), pages)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.engine.release.set()
        rig.shutdown()


# ---- cancel, retry ---------------------------------------------------------------------------


def test_cancel_during_extraction_then_retry_reads_the_rest_and_completes(rigs) -> None:
    pages = PagedSource(3)
    rig = rigs(pages=pages)
    rig.runner.start()
    job_id = rig.pdf_job()
    rig.runner.submit_pdf(job_id)
    pages.allow(1)
    wait_for(lambda: rig.job(job_id)["progress"]["completed"] == 1)  # page 1 is spoken

    rig.runner.cancel(job_id)
    pages.allow(3)
    assert pages.closed.wait(WAIT)  # the extractor saw the cancel at page 2 and let go
    rig.runner.retry(job_id)
    done = rig.settled(job_id)

    assert done["status"] == "completed", (done["extraction_status"], done["error_message"])
    assert [s["page"] for s in done["scenes"]] == [1, 2, 3]  # each page once, in order
    assert Path(done["final_audio_path"]).exists()


def test_retry_right_after_cancel_while_extraction_is_still_stopping_completes(rigs) -> None:
    pages = PagedSource(4)
    rig = rigs(pages=pages)
    rig.runner.start()
    job_id = rig.pdf_job()
    rig.runner.submit_pdf(job_id)
    pages.allow(1)
    wait_for(lambda: rig.job(job_id)["scenes"])
    rig.runner.cancel(job_id)
    pages.allow(4)
    rig.runner.retry(job_id)  # no wait: the extractor may or may not have seen the cancel
    done = rig.settled(job_id)
    assert done["status"] == "completed"
    assert [s["page"] for s in done["scenes"]] == [1, 2, 3, 4]


# ---- errors before extraction's work ---------------------------------------------------------


@pytest.mark.parametrize("how", ["never saved", "deleted", "unreadable"])
def test_a_missing_or_unreadable_source_fails_the_job_with_a_reason(rigs, how) -> None:
    rig = rigs(pages=PagedSource(1))
    rig.runner.start()
    job_id = rig.pdf_job(source=how != "never saved")
    source = rig.runner.job_dir(job_id) / "source.pdf"
    if how == "deleted":
        source.unlink()
    elif how == "unreadable":
        source.unlink()
        source.mkdir()  # reading a folder fails as a damaged disk would (IsADirectoryError)
    rig.runner.submit_pdf(job_id)
    failed = rig.settled(job_id)
    assert failed["status"] == "failed"
    assert failed["error_code"] == JobSourceMissing.code
    assert failed["error_message"] and failed["error_solution"] == JobSourceMissing.default_solution


def test_a_crash_between_the_row_and_the_file_fails_the_job_at_the_next_start(rigs) -> None:
    rig = rigs(pages=PagedSource(1))
    job_id = rig.pdf_job(source=False)  # the row exists; the server died before the file
    text_id = rig.store.create_job("Lost", "text", None, "builtin", {}, None)["id"]
    rig.runner.start()
    pdf, text = rig.settled(job_id), rig.settled(text_id)
    assert (pdf["status"], pdf["error_code"]) == ("failed", "job_source_missing")
    assert (text["status"], text["error_code"]) == ("failed", "job_interrupted")
    assert text["error_solution"]


def test_an_extraction_error_is_recorded_with_its_solution_in_the_store(rigs) -> None:
    class TooLarge(PagedSource):
        def _pages(self) -> Iterator[Page]:
            yield from super()._pages()
            raise DocumentTooLarge("The selection has more than 1 page.")

    pages = TooLarge(1)
    pages.allow(1)
    rig = rigs(pages=pages)
    rig.runner.start()
    job_id = rig.pdf_job()
    rig.runner.submit_pdf(job_id)
    failed = rig.settled(job_id)
    assert (failed["status"], failed["extraction_status"]) == ("failed", "failed")
    assert failed["error_code"] == "document_too_large"
    assert failed["error_solution"] == DocumentTooLarge.default_solution


# ---- shutdown --------------------------------------------------------------------------------


def test_shutdown_with_a_take_queued_behind_another_call_leaves_its_scene_pending(rigs) -> None:
    engine = GatedEngine(gate=lambda text: text == "hold the model")
    rig = rigs(engine)
    rig.runner.start()
    busy = rig.manager.submit(lambda e: e.synthesize("hold the model", None, SynthesisParams()))
    assert engine.gated.wait(WAIT)  # the model thread is busy (as with a long /tts)
    job_id = rig.text_job()
    wait_for(lambda: rig.job(job_id)["progress"]["processing"] == 1)  # its take is queued

    closing = threading.Thread(target=rig.shutdown, args=(0.05,))
    closing.start()
    # manager.close drops the queued take first, then waits for the running call
    wait_for(lambda: rig.job(job_id)["progress"]["processing"] == 0)
    engine.release.set()
    closing.join(WAIT)
    assert not closing.is_alive() and busy.done()

    after = JobStore(rig.settings.jobs_db)
    job = after.get_job(job_id)
    assert [s["audio_status"] for s in job["scenes"]] == ["pending"] * len(job["scenes"])
    assert job["status"] in ("pending", "processing")  # resumable, not failed
    assert after.recover() == [job_id]
    after.close()


def test_shutdown_during_a_long_take_waits_for_it_and_records_it_before_closing(rigs) -> None:
    engine = GatedEngine(after=1)  # the second take waits for the test
    rig = rigs(engine)
    rig.runner.start()
    job_id = rig.text_job()
    assert engine.gated.wait(WAIT)

    closing = threading.Thread(target=rig.shutdown, args=(0.05,))
    closing.start()
    wait_for(lambda: rig.runner._stopping.is_set())
    engine.release.set()
    closing.join(WAIT)
    assert not closing.is_alive()

    after = JobStore(rig.settings.jobs_db)
    scenes = after.get_job(job_id)["scenes"]
    statuses = [s["audio_status"] for s in scenes]
    assert statuses[:2] == ["completed", "completed"]  # the long take was kept
    assert set(statuses[2:]) == {"pending"}
    assert all(Path(s["audio_path"]).exists() for s in scenes[:2])
    after.close()


# ---- another engine --------------------------------------------------------------------------


def test_a_job_resumed_under_another_engine_is_resplit_and_never_plays_off_speed(rigs) -> None:
    first = rigs(GatedEngine(after=2, max_chars=300, sample_rate=24000))
    first.runner.start()
    job_id = first.text_job()
    assert first.engine.gated.wait(WAIT)
    closing = threading.Thread(target=first.shutdown, args=(0.05,))
    closing.start()
    wait_for(lambda: first.runner._stopping.is_set())
    first.engine.release.set()
    closing.join(WAIT)
    reader = JobStore(first.settings.jobs_db)
    before = reader.get_job(job_id)
    reader.close()
    assert (before["engine"], before["sample_rate"], before["max_chars"]) == ("fake", 24000, 300)
    spoken = [s["text"] for s in before["scenes"] if s["audio_status"] == "completed"]
    assert len(spoken) == 3

    second = rigs(FakeEngine(max_chars=600, sample_rate=22050))
    second.runner.start()
    done = second.settled(job_id)

    assert done["status"] == "completed"
    assert (done["max_chars"], done["sample_rate"]) == (600, 24000)  # split for 600, plays 24k
    texts = [s["text"] for s in done["scenes"]]
    assert texts[:3] == spoken  # completed scenes kept, not spoken again
    assert [t for t, _ in second.engine.calls] == [normalize(t) for t in texts[3:]]  # as spoken
    assert max(len(t) for t in texts[3:]) > 300 and all(len(t) <= 600 for t in texts)
    assert " ".join(texts) == STORY
    info = sf.info(done["final_audio_path"])
    pauses = (len(texts) - 1) * second.settings.pause_ms / 1000
    expected = sum(s["duration_seconds"] for s in done["scenes"]) + pauses
    assert info.samplerate == 24000
    assert abs(info.duration - expected) / expected < 0.01  # every scene at its own speed


# ---- files of a deleted job ------------------------------------------------------------------


def test_a_job_deleted_during_its_take_never_comes_back_as_a_folder(rigs) -> None:
    engine = GatedEngine(gate=lambda text: text.startswith("Doomed"))
    rig = rigs(engine)
    rig.runner.start()
    doomed = rig.text_job("Doomed words that are spoken while the job is deleted.")
    assert engine.gated.wait(WAIT)
    rig.runner.delete(doomed)
    engine.release.set()
    later = rig.text_job("A later job, spoken after the doomed take ended.")
    assert rig.settled(later)["status"] == "completed"  # one synthesis thread: the take ended
    assert not rig.runner.job_dir(doomed).exists()
    assert [d.name for d in rig.settings.jobs_dir.iterdir()] == [later]


def test_a_job_deleted_while_its_narration_is_assembled_leaves_the_runner_working(
    rigs, monkeypatch
) -> None:
    import backend.jobs.worker as worker

    rig = rigs()
    real = worker.assemble

    def delete_first(scenes, path, *args, **kw):  # the delete lands just before the file is made
        if "Doomed" in scenes[0]["text"]:
            rig.runner.delete(path.parent.name)
        return real(scenes, path, *args, **kw)

    monkeypatch.setattr(worker, "assemble", delete_first)
    rig.runner.start()
    doomed = rig.text_job("Doomed words whose narration is being assembled when deleted.")
    wait_for(lambda: not rig.store.exists(doomed))
    later = rig.text_job("A later job, narrated by the same runner.")
    assert rig.settled(later)["status"] == "completed"
    assert [d.name for d in rig.settings.jobs_dir.iterdir()] == [later]


def test_a_narration_the_disk_refuses_fails_the_job_with_a_solution_and_retry_completes(
    rigs, monkeypatch
) -> None:
    import backend.jobs.worker as worker

    rig = rigs()
    real, refusals = worker.assemble, [OSError(28, "No space left on device")]

    def full_disk_once(*args, **kw):
        if refusals:
            raise refusals.pop()
        return real(*args, **kw)

    monkeypatch.setattr(worker, "assemble", full_disk_once)
    rig.runner.start()
    job_id = rig.text_job("Words whose narration meets a full disk the first time.")
    failed = rig.settled(job_id)
    assert failed["status"] == "failed" and failed["error_code"] == "assembly_failed"
    assert "disk space" in failed["error_solution"]
    assert failed["progress"]["completed"] == failed["progress"]["total"]  # no take was lost

    rig.runner.retry(job_id)
    done = rig.settled(job_id)
    assert done["status"] == "completed" and Path(done["final_audio_path"]).is_file()

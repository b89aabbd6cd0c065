"""GET /jobs/{id}/report over real HTTP with real Piper speech: an audiobook-mastered book passes
every store rule chapter by chapter, a standard one says what fails; 409 before assembly."""

from __future__ import annotations

import time

import pytest
import requests

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from backend.main import create_app
from tests.helpers.live import serving
from tests.helpers.pdfs import text_pdf


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    settings = Settings(
        _env_file=None, data_dir=root / "data", model_cache_dir=root / "cache", quality_check="off"
    )
    with serving(create_app(settings, PiperEngine(settings))) as url:
        yield url


def narrated(url: str, mastering: str) -> dict:
    files = {"file": ("book.pdf", text_pdf(pages=2), "application/pdf")}
    job = requests.post(f"{url}/jobs", files=files, data={"mastering": mastering}, timeout=60)
    assert job.status_code == 202, job.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = requests.get(f"{url}/jobs/{job.json()['id']}", timeout=10).json()
        if body["status"] in ("completed", "failed", "cancelled"):
            assert body["status"] == "completed", body
            return body
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_an_audiobook_mastered_book_passes_every_rule_in_every_chapter(server):
    job = narrated(server, "audiobook")
    assert job["params"]["mastering"] == "audiobook"
    report = requests.get(f"{server}/jobs/{job['id']}/report", timeout=60).json()
    assert report["mastering"] == "audiobook"
    assert [p["title"] for p in report["parts"]] == ["Chapter 1", "Chapter 2"]
    assert [p["start_seconds"] for p in report["parts"]] == [
        c["start_seconds"] for c in job["chapters"]
    ]
    for part in report["parts"]:
        assert [c["rule"] for c in part["checks"]] == [r["rule"] for r in report["rules"]]
        assert all(check["passed"] for check in part["checks"]), part
        assert -23 <= part["rms_dbfs"] <= -18 and part["true_peak_dbtp"] <= -3
    assert report["passed"] is True


def test_a_standard_book_reports_the_rules_it_fails_and_the_report_is_cached(server):
    job = narrated(server, "standard")
    first = requests.get(f"{server}/jobs/{job['id']}/report", timeout=60)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["mastering"] == "standard" and report["passed"] is False
    failed = {c["rule"] for p in report["parts"] for c in p["checks"] if not c["passed"]}
    assert "head_room_tone" in failed  # the first scene starts straight away
    assert requests.get(f"{server}/jobs/{job['id']}/report", timeout=60).json() == report


def test_the_report_is_409_until_the_narration_is_assembled(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", model_cache_dir=tmp_path / "cache",
        quality_check="off",
    )  # fmt: skip
    with serving(create_app(settings, FakeEngine(delay=0.5))) as url:
        job = requests.post(f"{url}/jobs", data={"text": "One. Two. Three."}, timeout=30).json()
        answer = requests.get(f"{url}/jobs/{job['id']}/report", timeout=30)
        assert answer.status_code == 409 and answer.json()["error"] == "not_ready"
        missing = requests.get(f"{url}/jobs/nope/report", timeout=30)
        assert missing.status_code == 404


def test_an_unknown_mastering_is_refused(server):
    answer = requests.post(f"{server}/jobs", data={"text": "Hi.", "mastering": "loud"}, timeout=30)
    assert answer.status_code == 422

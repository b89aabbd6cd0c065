"""Test-wide set-up: no network, no hub retries, and each slow tier marked by where it lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent

# Tiers deselected by default (pyproject's addopts) and run by .ci/run one step each. A folder or
# a file gets its tier here rather than a decorator on every test; "file::test" names one test
# (all its parameters). Chosen from `pytest --durations`: the default run keeps real Piper over
# HTTP where it is quick; process crashes, restarts and installs take minutes, and a check whose
# pass mark is a wall-clock figure is `perf`.
TIERS = {
    "chatterbox/": "chatterbox",
    "e2e/test_studio_browser.py": "browser",
    "e2e/test_readalong_browser.py": "browser",
    "e2e/test_scene_takes_browser.py": "browser",  # needs issue 18's routes (takes) merged
    "scripts/test_compose.py": "integration",  # needs the docker client and its compose plugin
    "scripts/test_setup_env.py::test_real_piper_setup_makes_a_working_venv_and_a_second_run_changes_nothing": "integration",
    "e2e/test_jobs_piper.py": "integration",  # a 20-page book, kill -9 mid-job: 3 minutes
    "e2e/test_books_to_audiobooks.py": "integration",  # four books, each to every output: 2 min
    "e2e/test_audiobooks_piper.py": "integration",  # a 3-chapter book to M4B and MP3: 30 s
    "e2e/test_studio_audiobook.py": "browser",
    "e2e/test_shutdown.py": "integration",
    "e2e/test_cues_piper.py": "integration",  # three Piper narrations, one with Whisper: 1 minute
    "e2e/test_engine_host.py": "integration",
    "e2e/test_crash_points.py": "integration",
    # A coordinator and three Piper workers as processes: kills, stalls and a restart (30 s).
    "e2e/test_workers_piper.py": "workers",
    # Real Piper in a server the command starts, stopped by Ctrl+C mid-book and started again.
    "backend/cli/test_server.py::test_ctrl_c_stops_the_server_it_started_and_the_next_run_resumes_the_same_job": "integration",
    "e2e/test_piper_http.py::test_health_answers_fast_while_a_long_synthesis_runs": "perf",
    "e2e/test_bad_inputs.py::test_each_bad_input_gets_its_own_4xx_json_error_fast": "perf",
    "backend/api/test_routes_jobs.py::test_a_hundred_page_pdf_is_accepted_well_under_ten_seconds": "perf",
    "backend/api/test_routes_pdf.py::test_preview_of_a_long_pdf_answers_within_a_few_seconds_and_stores_nothing": "perf",
    "frontend/test_api_client.py::test_a_server_that_is_not_there_is_one_plain_error": "perf",
}


def _tier(item: pytest.Item) -> str | None:
    path = Path(str(item.fspath)).resolve().relative_to(HERE).as_posix()
    name = getattr(item, "originalname", item.name)
    for place, tier in TIERS.items():
        where, _, test = place.partition("::")
        here = path.startswith(where) if where.endswith("/") else path == where
        if here and (not test or test == name):
            return tier
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))

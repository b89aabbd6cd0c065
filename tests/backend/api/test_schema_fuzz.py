"""Schemathesis against the real app (FakeEngine) over loopback: every operation, generated
requests, no 5xx and no status the OpenAPI document does not list.

The default run takes FUZZ_EXAMPLES examples per operation (25); the tests marked `fuzz`
(`pytest -m fuzz`, which CI runs as a second step) take 2,000 per operation.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.live import serving

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
WORKER_TOKEN = "fuzz-worker-token"  # the worker routes are fuzzed past their token check
FULL_EXAMPLES = 2000


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    data = tmp_path_factory.mktemp("fuzz")
    config = Settings(
        _env_file=None,
        data_dir=data,
        model_cache_dir=data / "model_cache",
        load_on_startup=False,
        quality_check="off",
        max_pdf_pages=50,
        pdf_timeout_seconds=10,
        worker_token=WORKER_TOKEN,
    )
    with serving(create_app(config, FakeEngine())) as url:
        yield url


# The document comes from the app itself (no server needed to collect the tests).
OPERATIONS = {
    operation.label: operation
    for operation in (
        result.ok()
        for result in schemathesis.openapi.from_dict(
            create_app(Settings(_env_file=None), FakeEngine()).openapi()
        ).get_all_operations()
    )
}


def fuzz(label: str, server_url: str, examples: int) -> None:
    worker = label.split(" ", 1)[1].startswith(("/workers/", "/metrics"))
    headers = {"Authorization": f"Bearer {WORKER_TOKEN}"} if worker else None

    @given(case=OPERATIONS[label].as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case) -> None:
        case.call_and_validate(
            base_url=server_url,
            headers=headers,
            checks=[not_a_server_error, status_code_conformance],
        )

    check()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_operation_answers_5xx_or_an_undocumented_status(label, server_url):
    fuzz(label, server_url, EXAMPLES)


@pytest.mark.fuzz
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_two_thousand_examples_per_operation_find_no_5xx_and_no_undocumented_status(
    label, server_url
):
    fuzz(label, server_url, FULL_EXAMPLES)

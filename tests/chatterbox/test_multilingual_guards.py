"""Multilingual 0.1.7's call-level bugs on the real package, and the engine's guards: a text of
one letter or one mark crashes upstream's alignment analyzer (IndexError) and speaks once
padded; calls in a row leave the forward hooks as they were and every output as long.

Three calls here (each costs many seconds on a CPU: Multilingual's analyzer makes every step
compute attention weights); the default tier makes fifty on the fake package
(tests/backend/engines/test_chatterbox_family.py). 0.1.7's leak adds a hook on every call, so
the count after each of three calls shows it as surely as fifty."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.chatterbox.conftest import HERE, SAMPLES_PER_TOKEN, run_real

CALLS = 3
# One process loads the model and makes 7 bounded calls: minutes on a 2-core CPU.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def report(multilingual_checkpoint) -> dict:
    try:
        done = run_real(
            str(HERE / "probe_multilingual.py"), str(multilingual_checkpoint), str(CALLS)
        )
    except subprocess.CalledProcessError as failed:
        pytest.fail(f"probe_multilingual.py failed:\n{failed.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("text", ["A", "?"])
def test_a_text_too_short_crashes_0_1_7_and_speaks_through_the_guard(report, text):
    found = report["short"][text]
    assert found["upstream"] == "IndexError"  # the bug is real, with the analyzer seeing
    assert found["guarded_samples"] == report["tokens"] * SAMPLES_PER_TOKEN


def test_calls_in_a_row_leave_no_hooks_behind_and_no_shorter_output(report):
    calls = report["calls"]
    assert len(calls["samples"]) == CALLS
    assert set(calls["hooks"]) == {calls["hooks"][0]}  # before the first call and after each
    assert set(calls["samples"]) == {report["call_tokens"] * SAMPLES_PER_TOKEN}

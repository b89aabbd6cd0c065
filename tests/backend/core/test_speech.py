"""The speech value types: SynthesisParams read back from a job's stored params."""

from __future__ import annotations

from backend.core.speech import SynthesisParams


def test_synthesis_params_of_a_jobs_params_keep_the_knobs_and_leave_the_rest():
    stored = {"rate": 1.5, "seed": 7, "language": "de", "model": "turbo", "mastering": "audiobook"}
    assert SynthesisParams.of(stored) == SynthesisParams(rate=1.5, seed=7, language="de")
    assert SynthesisParams.of({}) == SynthesisParams()

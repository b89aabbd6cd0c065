"""The golden error wording (tests/golden/errors.json) is current, and the server says it."""

from __future__ import annotations

import json

from backend.core import errors
from tests.golden.errors import GOLDEN, REGENERATE, render, wording


def test_the_golden_error_file_matches_the_error_classes():
    assert GOLDEN.read_text(encoding="utf-8") == render(), (
        f"backend/core/errors.py changed: regenerate the golden file with {REGENERATE} "
        "and review its diff"
    )


def test_every_error_class_has_a_code_a_status_and_a_solution():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert "AppError" in golden and len(golden) == len(wording())
    for name, entry in golden.items():
        assert entry["code"] and entry["code"].islower(), name
        assert 400 <= entry["status"] <= 599, name
        assert entry["message"].strip() and entry["solution"].strip(), name


def test_an_error_body_is_the_golden_wording_of_its_class():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["ModelNotFound"]
    body = errors.ModelNotFound().to_dict()
    assert body == {k: golden[k] for k in ("message", "solution")} | {"error": golden["code"]}

"""Assertions shared by the API tests."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

# TestClient's base URL: a Host header and a server address of this machine, which the access
# middleware requires (its default "testserver" is neither).
LOCAL = "http://127.0.0.1"
GOLDEN_ERRORS = Path(__file__).resolve().parents[1] / "golden" / "errors.json"
# The facts inside a message: figures, setting names, quoted names and endpoint paths.
FACT = re.compile(r"\d+(?:[.,]\d+)*|CHATTERBOX_[A-Z_]+|'[^']+'|(?<![\w.])/[\w/{}.-]+")


def assert_error(response, status: int, body: dict, says: str | tuple[str, ...] = ()) -> None:
    """The facts of an error answer, not its exact bytes: the status, JSON, the code in
    `body["error"]`, the same keys as `body` with the same values for any beyond the envelope
    (retry_after, ...), a message and a solution that say something and carry the facts of
    `body`'s (figures, CHATTERBOX_ settings, quoted names, paths: see FACT), and each of `says`.
    The exact default wording lives in tests/golden/errors.json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    got = response.json()
    assert got["error"] == body["error"], got
    assert set(got) == set(body), got
    for key in set(body) - {"error", "message", "solution"}:
        assert got[key] == body[key], (key, got)
    assert isinstance(got["message"], str) and got["message"].strip(), got
    assert isinstance(got["solution"], str) and got["solution"].strip(), got
    for part in ("message", "solution"):
        for fact in FACT.findall(body.get(part, "")):
            assert fact in got[part], (part, fact, got)
    for fact in (says,) if isinstance(says, str) else says:
        assert fact in got["message"] + " " + got["solution"], (fact, got)


@cache
def golden_error(name: str) -> dict[str, object]:
    """The default {code, status, message, solution} of error class `name`."""
    return json.loads(GOLDEN_ERRORS.read_text(encoding="utf-8"))[name]

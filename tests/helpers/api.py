"""Assertions shared by the API tests."""

from __future__ import annotations

import json

# TestClient's base URL: a Host header and a server address of this machine, which the access
# middleware requires (its default "testserver" is neither).
LOCAL = "http://127.0.0.1"


def assert_error(response, status: int, body: dict) -> None:
    """Status and the exact bytes of the JSON error body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert response.content == expected

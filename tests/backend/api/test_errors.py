"""The one error path: routing refusals and stray exceptions answer in the JSON envelope, with
the status and code that matter (the wording is in tests/golden/errors.json)."""

from __future__ import annotations

from tests.helpers.api import assert_error, golden_error


def test_unknown_route_is_404_not_found_json_that_points_at_the_docs(client):
    envelope = {"error": "not_found", "message": "", "solution": "/docs"}
    assert_error(client.get("/nope"), 404, envelope, says="/docs")


def test_wrong_method_is_405_json_that_points_at_the_docs(client):
    envelope = {"error": "method_not_allowed", "message": "", "solution": "/docs"}
    assert_error(client.get("/tts"), 405, envelope, says="/docs")


def test_unexpected_error_is_500_internal_error_without_traceback(client, monkeypatch):
    def broken():
        raise RuntimeError("secret internals /home/user/path")

    monkeypatch.setattr(client.app.state.store, "list", broken)
    response = client.get("/voices")
    internal = golden_error("AppError")
    assert_error(response, 500, {"error": internal["code"], "message": "", "solution": ""})
    assert response.json()["message"] == internal["message"]  # the default, not the exception's
    assert b"secret" not in response.content
    assert "traceback" not in response.json()


def test_debug_setting_adds_the_traceback_to_500s(make_client, monkeypatch):
    client = make_client(debug=True)

    def broken():
        raise RuntimeError("visible in debug")

    monkeypatch.setattr(client.app.state.store, "list", broken)
    body = client.get("/voices").json()
    assert body["error"] == "internal_error"
    assert "visible in debug" in "".join(body["traceback"])

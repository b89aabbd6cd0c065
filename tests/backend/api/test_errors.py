from __future__ import annotations

from tests.helpers.api import assert_error


def test_unknown_route_is_404_not_found_json(client):
    assert_error(
        client.get("/nope"),
        404,
        {
            "error": "not_found",
            "message": "There is no such endpoint.",
            "solution": "See the API documentation at /docs.",
        },
    )


def test_wrong_method_is_405_json(client):
    response = client.get("/tts")
    assert_error(
        response,
        405,
        {
            "error": "method_not_allowed",
            "message": "That method is not allowed here.",
            "solution": "See /docs for the methods.",
        },
    )


def test_unexpected_error_is_500_internal_error_without_traceback(client, monkeypatch):
    def broken():
        raise RuntimeError("secret internals /home/user/path")

    monkeypatch.setattr(client.app.state.store, "list", broken)
    response = client.get("/voices")
    assert_error(
        response,
        500,
        {
            "error": "internal_error",
            "message": "The server hit an unexpected problem.",
            "solution": "Try again; if it keeps happening, check the server log.",
        },
    )
    assert b"secret" not in response.content


def test_debug_setting_adds_the_traceback_to_500s(make_client, monkeypatch):
    client = make_client(debug=True)

    def broken():
        raise RuntimeError("visible in debug")

    monkeypatch.setattr(client.app.state.store, "list", broken)
    body = client.get("/voices").json()
    assert body["error"] == "internal_error"
    assert "visible in debug" in "".join(body["traceback"])

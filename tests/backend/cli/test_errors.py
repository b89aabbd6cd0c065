"""backend/cli/errors.py: each failure of a run ends non-zero with its message and solution."""

from __future__ import annotations

from pathlib import Path

import requests

from backend.cli.errors import NarrateError
from backend.cli.narrate import main
from backend.cli.server import free_port


def narrate(*args: object) -> int:
    return main([str(arg) for arg in args])


def _said_plainly(err: str, message: str, solution: str) -> None:
    assert f"error: {message}" in err or f": {message}" in err, err
    assert solution in err, err
    assert "Traceback" not in err


def test_an_error_reads_as_its_message_then_its_solution():
    error = NarrateError("x", "It broke.", "Mend it.")
    assert error.lines("book.pdf") == "error: book.pdf: It broke.\n  Mend it."


def test_a_missing_file_is_refused_before_the_server_is_asked(server, capsys):
    assert narrate("nowhere.epub", "--server", server.url) == 1
    _said_plainly(
        capsys.readouterr().err,
        "There is no file 'nowhere.epub'.",
        "Check the name and the folder",
    )
    assert server.jobs() == []


def test_an_unknown_voice_shows_the_servers_message_and_solution(server, text_book, capsys):
    refusal = requests.post(
        f"{server.url}/jobs", data={"text": "Hello.", "voice": "Nobody"}, timeout=10
    ).json()
    assert narrate(text_book, "--server", server.url, "--voice", "Nobody", "--format", "wav") == 1
    _said_plainly(capsys.readouterr().err, refusal["message"], refusal["solution"])
    assert server.jobs() == []


def test_a_document_the_server_cannot_read_shows_its_error(server, clean_environment, capsys):
    book = clean_environment / "broken.pdf"
    book.write_bytes(b"this is no PDF at all")
    assert narrate(book, "--server", server.url, "--format", "wav") == 1
    err = capsys.readouterr().err
    assert "error: broken.pdf: 'broken.pdf' is not a PDF file: its content is not one" in err
    assert "Traceback" not in err


def test_a_format_the_server_does_not_make_is_refused_before_any_job(server, text_book, capsys):
    assert narrate(text_book, "--server", server.url, "--out", "river.ogg") == 1
    err = capsys.readouterr().err
    assert "error: The request is not valid: query.format" in err
    assert "\n  " in err  # the solution under it
    assert server.jobs() == []


def test_a_server_that_does_not_answer_is_named_with_what_to_do(text_book, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert narrate(text_book, "--server", url, "--format", "wav") == 1
    _said_plainly(
        capsys.readouterr().err,
        f"The narration server at {url} is not answering.",
        "so that this command starts one for itself",
    )


def test_a_server_with_a_token_is_reached_with_the_token_from_the_environment(
    start_server, text_book, monkeypatch, capsys
):
    server = start_server(api_token="secret-for-tests")
    assert narrate(text_book, "--server", server.url, "--format", "wav") == 1
    assert "error: " in capsys.readouterr().err  # token_required, before any job
    monkeypatch.setenv("CHATTERBOX_API_TOKEN", "secret-for-tests")
    assert narrate(text_book, "--server", server.url, "--format", "wav") == 0
    assert Path("river.wav").is_file()
    assert len(server.jobs()) == 1


def test_two_books_with_one_output_file_are_refused(text_book, capsys):
    other = text_book.with_name("sea.txt")
    other.write_text("Sea.", encoding="utf-8")
    assert narrate(text_book, other, "--out", "both.wav") == 1
    _said_plainly(
        capsys.readouterr().err,
        "--out both.wav names a file, and this run has 2 books.",
        "Give --out a folder",
    )

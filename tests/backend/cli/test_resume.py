"""backend/cli/resume.py: a book's key, and the state file that maps it to its job."""

from __future__ import annotations

from backend.cli.resume import STATE_NAME, ResumeState, book_key


def test_the_key_follows_the_bytes_and_the_options_not_the_name(tmp_path):
    book = tmp_path / "a.txt"
    book.write_text("Once upon a time.", encoding="utf-8")
    copy = tmp_path / "b.txt"
    copy.write_bytes(book.read_bytes())
    key = book_key(book, {"voice": "Ann"})
    assert book_key(copy, {"voice": "Ann"}) == key
    assert book_key(book, {"voice": "Bob"}) != key
    assert book_key(book, {}) != key
    book.write_text("Once upon another time.", encoding="utf-8")
    assert book_key(book, {"voice": "Ann"}) != key


def test_the_state_remembers_and_forgets_jobs_and_keeps_others_entries(tmp_path):
    book = tmp_path / "a.txt"
    one, other = ResumeState(tmp_path), ResumeState(tmp_path)
    one.remember("k1", "job-1", book)
    other.remember("k2", "job-2", book)  # a second run writing to the same folder
    assert (one.job_for("k1"), one.job_for("k2")) == ("job-1", "job-2")
    one.forget("k1")
    assert other.job_for("k1") is None and other.job_for("k2") == "job-2"


def test_a_state_file_that_cannot_be_read_counts_as_empty(tmp_path):
    (tmp_path / STATE_NAME).write_text("{not json", encoding="utf-8")
    state = ResumeState(tmp_path)
    assert state.job_for("k") is None
    state.remember("k", "job-1", tmp_path / "a.txt")
    assert state.job_for("k") == "job-1"

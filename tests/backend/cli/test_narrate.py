"""backend/cli/narrate.py: books through a real server on loopback to files read back."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import soundfile

from backend.cli.narrate import main
from backend.cli.resume import STATE_NAME
from backend.core.errors import SynthesisFailed
from backend.engines.fake import FakeEngine
from tests.helpers.pdfs import text_pdf
from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[3]


def narrate(*args: str) -> int:
    return main([str(arg) for arg in args])


def test_a_text_file_becomes_a_wav_file_and_its_path_is_printed(server, text_book, capsys):
    out = text_book.with_name("river.wav")
    assert narrate(text_book, "--server", server.url, "--out", out) == 0
    info = soundfile.info(out)
    assert info.format == "WAV" and info.frames > 0
    assert out.stat().st_mode & 0o777 == 0o644  # an ordinary file, readable by a media server
    assert capsys.readouterr().out.strip() == str(out)
    [job] = server.jobs()
    assert job["status"] == "completed" and job["title"] == "river"


def test_a_pdf_becomes_an_mp3_of_its_chosen_pages(server, clean_environment):
    book = clean_environment / "mill.pdf"
    book.write_bytes(text_pdf(pages=3))
    out = clean_environment / "mill.mp3"
    assert narrate(book, "--server", server.url, "--out", out, "--pages", "2-3") == 0
    info = soundfile.info(out)
    assert info.format == "MP3" and info.frames > 0
    [job] = server.jobs()
    assert job["pages"] == "2-3" and job["title"] == "mill"


def test_without_out_the_audiobook_goes_beside_the_book_in_the_format_asked(server, text_book):
    assert narrate(text_book, "--server", server.url, "--format", "mp3") == 0
    assert soundfile.info(text_book.with_suffix(".mp3")).format == "MP3"


def test_the_progress_bar_shows_scenes_done_and_time_left(server, text_book, capsys):
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    [job] = server.jobs()
    total = job["progress"]["total"]
    err = capsys.readouterr().err
    assert total > 1
    assert "river: 100%" in err and f"{total}/{total} scenes" in err
    # elapsed<remaining: "00:00" left, or "?" when the job ended before a rate was measured
    assert re.search(r"scenes \[\d\d:\d\d<(00:00|\?)\]", err), err


def test_a_second_run_on_the_same_file_downloads_the_same_job(server, text_book, capsys):
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    spoken = len(server.engine.calls)
    Path("river.wav").unlink()
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    assert len(server.jobs()) == 1
    assert len(server.engine.calls) == spoken  # nothing spoken again
    assert Path("river.wav").is_file()
    assert "resuming job" in capsys.readouterr().err


def test_another_voice_or_a_changed_file_is_another_job(server, text_book):
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    text_book.write_text("A different book altogether.", encoding="utf-8")
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    assert narrate(text_book, "--server", server.url, "--out", "river.wav", "--new") == 0
    assert len(server.jobs()) == 3


def test_a_failed_job_is_retried_by_the_next_run(start_server, text_book, capsys):
    broken = threading.Event()
    broken.set()
    engine = FakeEngine(
        max_chars=120,
        fail_when=lambda text: SynthesisFailed() if broken.is_set() and "lamp" in text else None,
    )
    server = start_server(engine)
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 1
    err = capsys.readouterr().err
    assert "error: river.txt:" in err and "scenes failed" in err
    assert "Running the same command again retries it." in err
    assert not Path("river.wav").exists()
    broken.clear()
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    assert "failed; retrying it" in capsys.readouterr().err
    [job] = server.jobs()
    assert job["status"] == "completed"


def test_a_run_stopped_by_ctrl_c_leaves_the_job_going_and_the_next_run_finishes_it(
    start_server, text_book
):
    server = start_server(FakeEngine(max_chars=120, hang_when=lambda text: "lamp" in text))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "backend", "narrate", str(text_book), "--server", server.url]
    with subprocess.Popen(
        [*command, "--out", "river.wav"], stderr=subprocess.PIPE, text=True, env=env
    ) as cli:
        wait_for(lambda: Path(STATE_NAME).exists() and server.engine.hanging.is_set(), 60)
        cli.send_signal(signal.SIGINT)
        _, err = cli.communicate(timeout=60)
    assert cli.returncode == 130
    assert f"Stopped watching. The jobs go on at {server.url}." in err
    assert "Run the same command again to pick them up" in err
    assert "Traceback" not in err
    [job] = server.jobs()
    assert job["status"] == "processing"
    server.engine.release.set()
    assert narrate(text_book, "--server", server.url, "--out", "river.wav") == 0
    assert [j["id"] for j in server.jobs()] == [job["id"]]
    assert soundfile.info("river.wav").frames > 0


def test_several_books_are_all_sent_before_any_is_followed(server, text_book, capsys):
    second = text_book.with_name("sea.txt")
    second.write_text("The sea is grey today and the wind is cold.", encoding="utf-8")
    pdf = text_book.with_name("mill.pdf")
    pdf.write_bytes(text_pdf(pages=1))
    books = [text_book, second, pdf]
    assert narrate(*books, "--server", server.url, "--out", "books/", "--format", "wav") == 0
    names = {path.name for path in Path("books").iterdir()}
    assert names == {"river.wav", "sea.wav", "mill.wav", STATE_NAME}
    out, err = capsys.readouterr()
    assert len(out.split()) == 3
    lines = err.splitlines()
    sent = [i for i, line in enumerate(lines) if line.endswith(" sent.")]
    first_saved = min(i for i, line in enumerate(lines) if ": saved " in line)
    assert len(sent) == 3 and max(sent) < first_saved
    assert len(server.jobs()) == 3


def test_python_m_backend_narrate_is_the_command_and_the_console_script_the_same(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "backend", "narrate", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--voice" in done.stdout and "--pages" in done.stdout
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["chatterbox-narrate"] == "backend.cli.narrate:run"

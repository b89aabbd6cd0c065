"""Downloads of a narration: made once, whole under concurrent requests, reused while fresh."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import soundfile as sf

from backend.jobs.outputs import output_file
from tests.backend.jobs.test_assembly import tone
from tests.helpers.audiobooks import chapters_of, container_of, png_bytes


def at_once(count: int, call: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """`call` from `count` threads released together: what they returned, and every failure
    (not only the first)."""
    start = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_concurrent_mp3_exports_of_one_narration_each_get_a_whole_file(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 20.0, 24000)
    mp3 = wav.with_suffix(".mp3")
    _, errors = at_once(6, lambda: output_file({"final_audio_path": str(wav)}, "mp3"))
    assert errors == []
    assert abs(sf.info(mp3).duration - 20.0) < 0.1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narration.mp3", "narration.wav"]


def test_an_mp3_newer_than_its_wav_is_not_encoded_again(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 1.0, 24000)
    job = {"final_audio_path": str(wav)}
    mp3 = output_file(job, "mp3")
    first = mp3.stat().st_mtime_ns
    assert output_file(job, "mp3") == mp3 and mp3.stat().st_mtime_ns == first


def test_the_wav_download_is_the_narration_itself(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 1.0, 24000)
    assert output_file({"final_audio_path": str(wav)}, "wav") == wav
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narration.wav"]


def test_concurrent_m4b_exports_each_get_a_whole_chaptered_file_made_once(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 8.0, 24000)
    markers = [{"title": "One", "start_seconds": 0.0}, {"title": "Two", "start_seconds": 4.0}]
    job = {"final_audio_path": str(wav), "title": "Book", "chapters": markers}
    results, errors = at_once(5, lambda: output_file(job, "m4b"))
    assert errors == [] and set(results) == {wav.with_suffix(".m4b")}
    assert chapters_of(results[0]) == [("One", 0.0), ("Two", 4.0)]
    assert abs(container_of(results[0])["seconds"] - 8.0) < 0.1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narration.m4b", "narration.wav"]


def test_a_new_cover_makes_the_made_m4b_and_mp3_stale(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 1.0, 24000)
    cover = tmp_path / "cover.png"
    job = {"final_audio_path": str(wav), "title": "Book", "chapters": []}
    for fmt in ("m4b", "mp3"):
        made = output_file(job, fmt)
        assert not container_of(made)["picture"]
        cover.write_bytes(png_bytes())
        later = made.stat().st_mtime + 5  # the cover is changed after the file was made
        os.utime(cover, (later, later))
        made = output_file({**job, "cover_path": str(cover)}, fmt)
        assert container_of(made)["picture"]
        cover.unlink()


def test_an_m4b_newer_than_its_wav_and_cover_is_not_made_again(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 1.0, 24000)
    cover = tmp_path / "cover.png"
    cover.write_bytes(png_bytes())
    job = {"final_audio_path": str(wav), "title": "Book", "cover_path": str(cover)}
    m4b = output_file(job, "m4b")
    first = m4b.stat().st_mtime_ns
    assert output_file(job, "m4b") == m4b and m4b.stat().st_mtime_ns == first

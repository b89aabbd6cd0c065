"""Downloads of a narration: made once, whole under concurrent requests, reused while fresh."""

from __future__ import annotations

import threading

import soundfile as sf

from backend.jobs.outputs import output_file
from tests.backend.jobs.test_assembly import tone


def test_concurrent_mp3_exports_of_one_narration_each_get_a_whole_file(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 20.0, 24000)
    mp3 = wav.with_suffix(".mp3")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def export() -> None:
        start.wait()
        try:
            output_file({"final_audio_path": str(wav)}, "mp3")
        except BaseException as exc:  # the test reports every failure, not only the first
            errors.append(exc)

    threads = [threading.Thread(target=export) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
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

"""The final narration file: scenes at other rates are resampled, and concurrent MP3 exports of
one narration each get a whole file."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from backend.jobs.assembly import assemble, to_mp3


def tone(path: Path, seconds: float, rate: int, hz: float = 220.0) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)
    return path


def test_scenes_spoken_at_another_rate_are_resampled_to_the_narrations_rate(tmp_path) -> None:
    scenes = [
        {"idx": 1, "chapter": None, "audio_path": tone(tmp_path / "a.wav", 2.0, 24000)},
        {"idx": 2, "chapter": None, "audio_path": tone(tmp_path / "b.wav", 3.0, 22050)},
    ]
    out = tmp_path / "narration.wav"
    seconds, _ = assemble(scenes, out, crossfade_ms=10, pause_ms=500, rate=24000)
    info = sf.info(out)
    assert info.samplerate == 24000
    assert abs(info.duration - 5.5) < 0.01 and abs(seconds - 5.5) < 0.01
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_concurrent_mp3_exports_of_one_narration_each_get_a_whole_file(tmp_path) -> None:
    wav = tone(tmp_path / "narration.wav", 20.0, 24000)
    mp3 = wav.with_suffix(".mp3")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def export() -> None:
        start.wait()
        try:
            to_mp3(wav, mp3)
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
    mp3 = to_mp3(wav, wav.with_suffix(".mp3"))
    first = mp3.stat().st_mtime_ns
    assert to_mp3(wav, mp3) == mp3 and mp3.stat().st_mtime_ns == first

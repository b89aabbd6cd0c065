"""The final narration file: scenes at other rates are resampled to the narration's rate, and
each scene's start is reported where it lies in the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from backend.jobs.assembly import assemble


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
    seconds, _, _ = assemble(scenes, out, crossfade_ms=10, pause_ms=500, rate=24000)
    info = sf.info(out)
    assert info.samplerate == 24000
    assert abs(info.duration - 5.5) < 0.01 and abs(seconds - 5.5) < 0.01
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_each_scene_starts_where_its_sound_begins_in_the_written_file(tmp_path) -> None:
    rate = 16000
    scenes = [
        {"idx": index, "chapter": None, "audio_path": tone(tmp_path / f"{index}.wav", 1.3, rate)}
        for index in (3, 4, 5)
    ]
    out = tmp_path / "narration.wav"
    seconds, _, starts = assemble(scenes, out, crossfade_ms=0, pause_ms=333, rate=rate)
    samples, _ = sf.read(out, dtype="float32")
    # The pauses are the only runs of 0.1 s of silence; each scene begins where one ends.
    silent = np.convolve(np.abs(samples) < 1e-4, np.ones(1600), "valid") == 1600
    onsets = np.flatnonzero(silent[:-1] & ~silent[1:]) + 1600
    assert list(starts) == [3, 4, 5] and starts[3] == 0.0
    assert len(onsets) == 2
    for idx, onset in zip((4, 5), onsets, strict=True):
        assert abs(starts[idx] - onset / rate) < 0.002
    assert abs(seconds - len(samples) / rate) < 1e-6

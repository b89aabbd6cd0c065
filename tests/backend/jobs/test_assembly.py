"""The final narration file: scenes at other rates are resampled to the narration's rate."""

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
    seconds, _ = assemble(scenes, out, crossfade_ms=10, pause_ms=500, rate=24000)
    info = sf.info(out)
    assert info.samplerate == 24000
    assert abs(info.duration - 5.5) < 0.01 and abs(seconds - 5.5) < 0.01
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left

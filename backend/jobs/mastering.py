"""Mastering a finished narration WAV with a preset (backend.audio.mastering), chapter by chapter
and block by block: a first pass measures each chapter, a second writes it with its room tone,
gain, gate and limiter. Chapter markers move with the room tone, so each still marks the first
sample of its chapter (its head room tone)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from backend.audio.mastering import AUDIOBOOK, MARGIN_SECONDS, Preset, plan, process
from backend.core import atomic
from backend.jobs.narration_parts import BLOCK, meters, read

MASTERINGS = ("standard", "audiobook")  # the job parameter's values; standard: as assembled


def master_in_place(
    path: Path, chapters: list[dict[str, Any]], preset: Preset = AUDIOBOOK
) -> tuple[float, list[dict[str, Any]], Callable[[float], float]]:
    """Rewrite the WAV at `path` mastered with `preset` (through a temporary file beside it).

    Returns the new duration in seconds, the chapters with their start_seconds moved, and
    `shift(seconds)`, which maps any time in the old file to the same audio in the new one."""
    cut, fed, rate = meters(path, chapters)
    plans = [plan(meter, preset) for meter in fed]
    starts = np.cumsum([0] + [p.output_length for p in plans]).tolist()
    margin = round(MARGIN_SECONDS * rate)
    tmp = atomic.temp_beside(path)
    try:
        with (
            sf.SoundFile(path) as source,
            sf.SoundFile(tmp, "w", rate, 1, "PCM_16", format="WAV") as out,
        ):
            for part, p in zip(cut, plans, strict=True):
                out.write(np.zeros(p.pad_head, dtype=np.float32))
                lo, hi = part.start + p.keep_from, part.start + p.keep_to
                for begin in range(lo, hi, BLOCK):
                    end = min(hi, begin + BLOCK)
                    ext_lo, ext_hi = max(lo, begin - margin), min(hi, end + margin)
                    data = np.concatenate(list(read(source, ext_lo, ext_hi)) or [np.zeros(0)])
                    done = process(data, rate, p.gain, preset)
                    out.write(done[begin - ext_lo : end - ext_lo])
                out.write(np.zeros(p.pad_tail, dtype=np.float32))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    moved = [dict(c) for c in chapters]
    for part, start in zip(cut, starts, strict=False):
        if part.chapter is not None:
            moved[part.chapter]["start_seconds"] = round(start / rate, 3)

    def shift(seconds: float) -> float:
        sample = round(seconds * rate)
        index = max(i for i, part in enumerate(cut) if part.start <= sample or i == 0)
        return (starts[index] + plans[index].shift(sample - cut[index].start)) / rate

    return starts[-1] / rate, moved, shift

"""A finished narration WAV cut into its parts (one per chapter, an opening before the first
chapter where there is one, the whole file without chapters) and read part by part in blocks,
so hours of audio cost one block of memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from backend.audio.measure import Meter

BLOCK = 1 << 16  # samples read at a time


@dataclass(frozen=True)
class Part:
    """Samples [start, end) of the narration; `chapter` indexes job["chapters"] (None: the
    opening before the first chapter, or the whole of a narration without chapters)."""

    title: str | None
    start: int
    end: int
    chapter: int | None


def parts(chapters: list[dict[str, Any]], frames: int, rate: int) -> list[Part]:
    """The parts of a narration of `frames` samples with chapter markers `chapters`."""
    starts = [min(frames, round(c["start_seconds"] * rate)) for c in chapters]
    cut: list[tuple[str | None, int, int | None]] = []
    if not chapters or starts[0] > 0:
        cut.append((None, 0, None))
    cut += [(c["title"], starts[index], index) for index, c in enumerate(chapters)]
    ends = [start for _, start, _ in cut[1:]] + [frames]
    return [
        Part(title, start, end, index) for (title, start, index), end in zip(cut, ends, strict=True)
    ]


def read(source: sf.SoundFile, start: int, end: int, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Samples [start, end) of `source` as float32 mono blocks of at most `block`."""
    source.seek(start)
    left = end - start
    while left > 0:
        data = source.read(min(block, left), dtype="float32", always_2d=True)
        if not len(data):
            return
        left -= len(data)
        yield data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]


def meters(path: Path, chapters: list[dict[str, Any]]) -> tuple[list[Part], list[Meter], int]:
    """Each part of the narration at `path` fed to its own Meter; and the sample rate."""
    with sf.SoundFile(path) as source:
        cut = parts(chapters, source.frames, source.samplerate)
        fed = []
        for part in cut:
            meter = Meter(source.samplerate)
            for data in read(source, part.start, part.end):
                meter.feed(data)
            fed.append(meter)
        return cut, fed, source.samplerate

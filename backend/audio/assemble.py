"""Joining the synthesized chunks of one utterance into one click-free Audio."""

from __future__ import annotations

import numpy as np

from backend.core.speech import Audio, Mark


def join(parts: list[Audio], crossfade_ms: float, pause_ms: float) -> Audio:
    """Concatenate `parts` with `pause_ms` of silence between neighbours.

    Each part fades out over its last `crossfade_ms` and the next fades in over its first, so a
    boundary never jumps (a jump is heard as a click). The outer start and end are left as they
    are. Length is the sum of the parts plus one pause per boundary. The parts' marks move to
    their places in the whole (None when any part has none). A single part is returned
    unchanged; inputs are never modified. Raises ValueError for no parts, parts at different
    sample rates, or a negative duration.
    """
    if not parts:
        raise ValueError("join needs at least one part")
    if crossfade_ms < 0 or pause_ms < 0:
        raise ValueError("crossfade_ms and pause_ms must not be negative")
    rate = parts[0].sample_rate
    if any(part.sample_rate != rate for part in parts):
        rates = sorted({part.sample_rate for part in parts})
        raise ValueError(f"parts must share one sample rate, got {rates}")
    if len(parts) == 1:
        return parts[0]

    pause = np.zeros(round(rate * pause_ms / 1000), dtype=np.float32)
    pieces: list[np.ndarray] = []
    marks: list[Mark] | None = []
    position = 0
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if index > 0:
            pieces.append(pause)
            position += len(pause)
        pieces.append(fade_edges(part, crossfade_ms, fade_in=index > 0, fade_out=index < last))
        if marks is not None and part.marks is not None:
            marks.extend(mark.moved(position / rate) for mark in part.marks)
        else:
            marks = None
        position += len(part.samples)
    return Audio(np.concatenate(pieces), rate, tuple(marks) if marks is not None else None)


def fade_edges(
    part: Audio, fade_ms: float, fade_in: bool = True, fade_out: bool = True
) -> np.ndarray:
    """A copy of the samples with raised-cosine fades at the chosen ends (input untouched)."""
    samples = np.array(part.samples, dtype=np.float32)
    # A part shorter than two fades gets shorter ones so fade-in and fade-out never overlap.
    length = min(round(part.sample_rate * fade_ms / 1000), len(samples) // 2)
    if length > 0:
        ramp = _ramp(length)
        if fade_in:
            samples[:length] *= ramp
        if fade_out:
            samples[-length:] *= ramp[::-1]
    return samples


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine rise from 0 towards 1 over `length` samples: smooth at both ends."""
    phase = np.arange(length, dtype=np.float32) / length
    return (0.5 - 0.5 * np.cos(np.pi * phase)).astype(np.float32)

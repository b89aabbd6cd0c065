"""Joining the synthesized chunks of one utterance into one click-free Audio."""

from __future__ import annotations

import numpy as np

from backend.engines.base import Audio


def join(parts: list[Audio], crossfade_ms: float, pause_ms: float) -> Audio:
    """Concatenate `parts` with `pause_ms` of silence between neighbours.

    Each part fades out over its last `crossfade_ms` and the next fades in over its first, so a
    boundary never jumps (a jump is heard as a click). The outer start and end are left as they
    are. Length is the sum of the parts plus one pause per boundary. A single part is returned
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

    fade = round(rate * crossfade_ms / 1000)
    pause = np.zeros(round(rate * pause_ms / 1000), dtype=np.float32)
    pieces: list[np.ndarray] = []
    last = len(parts) - 1
    for index, part in enumerate(parts):
        samples = np.array(part.samples, dtype=np.float32)  # a copy: fades must not touch input
        # A part shorter than two fades gets shorter ones so fade-in and fade-out never overlap.
        length = min(fade, len(samples) // 2)
        if length > 0:
            ramp = _ramp(length)
            if index > 0:
                samples[:length] *= ramp
            if index < last:
                samples[-length:] *= ramp[::-1]
        if index > 0:
            pieces.append(pause)
        pieces.append(samples)
    return Audio(samples=np.concatenate(pieces), sample_rate=rate)


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine rise from 0 towards 1 over `length` samples: smooth at both ends."""
    phase = np.arange(length, dtype=np.float32) / length
    return (0.5 - 0.5 * np.cos(np.pi * phase)).astype(np.float32)

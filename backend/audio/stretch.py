"""Pitch-preserving time stretch (speaking rate) of mono float32 audio, via audiostretchy's TDHS."""

from __future__ import annotations

import numpy as np
from audiostretchy.interface.tdhs import TDHSAudioStretch

MIN_RATE = 0.25
MAX_RATE = 4.0
# Pitch-period search range of the TDHS period detector, in Hz: covers speaking voices.
_UPPER_FREQ_HZ = 333
_LOWER_FREQ_HZ = 55


def time_stretch(samples: np.ndarray, sample_rate: int, rate: float) -> np.ndarray:
    """Return `samples` played `rate` times as fast, at the same pitch.

    rate 2.0 halves the duration, 0.5 doubles it; the output has about len(samples) / rate
    samples. Input and output are mono float32 in [-1, 1]. rate 1.0 returns the input itself.
    Raises ValueError for a rate outside 0.25..4.0. Thread-safe: each call has its own context.
    """
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError(f"rate must be within {MIN_RATE}..{MAX_RATE}, got {rate}")
    if rate == 1.0 or len(samples) == 0:
        return samples

    ratio = 1.0 / rate  # TDHS ratio is output length / input length
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)
    flags = 0
    if ratio < 0.5 or ratio > 2.0:
        flags |= TDHSAudioStretch.STRETCH_DUAL_FLAG  # the lib's single range is 0.5..2.0
    if sample_rate >= 32000:
        flags |= TDHSAudioStretch.STRETCH_FAST_FLAG  # as audiostretchy does: full search is slow

    stretcher = TDHSAudioStretch(
        sample_rate // _UPPER_FREQ_HZ, sample_rate // _LOWER_FREQ_HZ, 1, flags
    )
    try:
        out = np.zeros(stretcher.output_capacity(len(pcm), ratio), dtype=np.int16)
        produced = stretcher.process_samples(pcm, len(pcm), out, ratio)
        produced += stretcher.flush(out[produced:])
    finally:
        stretcher.deinit()
    # The capacity is an upper bound; only `produced` samples are real audio.
    return out[:produced].astype(np.float32) / 32767.0

"""TEST FAKE of resemble-perth: the two watermarkers Chatterbox uses, with perth's method names.

The implicit watermarker adds a faint 11 kHz tone that `get_watermark` detects; the dummy one
leaves audio unchanged. Not a real watermark.
"""

from __future__ import annotations

import numpy as np

MARK_HZ = 11000.0
MARK_AMPLITUDE = 0.01


class PerthImplicitWatermarker:
    def apply_watermark(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        t = np.arange(len(wav)) / sample_rate
        mark = MARK_AMPLITUDE * np.sin(2 * np.pi * MARK_HZ * t)
        return (np.asarray(wav) + mark).astype(np.float32)

    def get_watermark(self, wav: np.ndarray, sample_rate: int) -> float:
        """1.0 when the mark is present, else 0.0."""
        spectrum = np.abs(np.fft.rfft(np.asarray(wav, dtype=np.float64)))
        freqs = np.fft.rfftfreq(len(wav), 1 / sample_rate)
        near = spectrum[np.abs(freqs - MARK_HZ) < 3].max()
        return 1.0 if near > 20 * np.median(spectrum) + 1e-9 else 0.0


class DummyWatermarker:
    def apply_watermark(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        return wav

    def get_watermark(self, wav: np.ndarray, sample_rate: int) -> float:
        return 0.0

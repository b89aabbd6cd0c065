"""Measuring a mono narration the way audiobook stores do: integrated loudness (ITU-R BS.1770-4),
RMS, sample and true peak, noise floor, and the room tone before the first and after the last
speech. A Meter is fed the signal in blocks, so an hour of audio costs a few MB.

Definitions (all levels relative to digital full scale, a full-scale sine's RMS is -3.01 dBFS):
- RMS: 20*log10 of the root mean square of every sample.
- True peak: the largest magnitude of the signal oversampled 4x (BS.1770-4 Annex 2; soxr's
  band-limited interpolation), never below the sample peak.
- Noise floor: the RMS of the quietest tenth (at least one) of the signal's 100 ms windows.
- Speech: a 10 ms window whose RMS reaches SPEECH_THRESHOLD_DBFS. Head room tone is the time
  before the first speech window, tail room tone the time after the last one.
A level of digital silence (log of zero) reads FLOOR_DB; loudness is None when no 400 ms block
passes the meter's gates (silence, or less than 400 ms of audio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyloudnorm.iirfilter
import scipy.signal
import soxr

FLOOR_DB = -120.0  # what digital silence reads; below any 24-bit noise
SPEECH_THRESHOLD_DBFS = -50.0
WINDOW_SECONDS = 0.01  # speech windows: head and tail are measured to 10 ms
NOISE_WINDOW = 10  # speech windows per noise-floor window (100 ms)
NOISE_SHARE = 0.1  # the quietest tenth of the noise windows
OVERSAMPLING = 4
_SEGMENT_SECONDS = 0.1  # BS.1770 gating blocks are 400 ms, stepped by 100 ms
_BLOCK_SEGMENTS = 4
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


def db(power_ratio: float) -> float:
    """10*log10 of a power ratio (a mean square), FLOOR_DB for zero."""
    return max(FLOOR_DB, 10 * math.log10(power_ratio)) if power_ratio > 0 else FLOOR_DB


@dataclass(frozen=True)
class Measurement:
    """One stretch of audio's figures; levels in dB as the module docstring defines them."""

    seconds: float
    loudness_lufs: float | None
    rms_dbfs: float
    peak_dbfs: float
    true_peak_dbtp: float
    noise_floor_dbfs: float
    head_seconds: float
    tail_seconds: float


class _KWeighting:
    """BS.1770's K-weighting (pyloudnorm's two stages, designed for the rate), streamed."""

    def __init__(self, rate: int) -> None:
        high_shelf = pyloudnorm.iirfilter.IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf")
        high_pass = pyloudnorm.iirfilter.IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")
        self._stages = [
            (stage.b, stage.a, stage.passband_gain, np.zeros(len(stage.a) - 1))
            for stage in (high_shelf, high_pass)
        ]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for index, (b, a, gain, state) in enumerate(self._stages):
            x, state = scipy.signal.lfilter(b, a, x, zi=state)
            self._stages[index] = (b, a, gain, state)
            x = x * gain
        return x


class Meter:
    """Accumulates one stretch of mono audio fed in blocks; `result()` gives its Measurement.

    Memory: one number per 10 ms (and per 100 ms), about 3 MB an hour. Not thread-safe."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.window = max(1, round(rate * WINDOW_SECONDS))
        self._segment = max(1, round(rate * _SEGMENT_SECONDS))
        self._k = _KWeighting(rate)
        self._up = soxr.ResampleStream(rate, rate * OVERSAMPLING, 1, dtype="float64")
        self.samples = 0
        self.energy = 0.0
        self._peak = 0.0
        self._true_peak = 0.0
        self._raw_rest = np.zeros(0)
        self._k_rest = np.zeros(0)
        self._windows: list[np.ndarray] = []  # mean squares of 10 ms windows
        self._segments: list[np.ndarray] = []  # K-weighted sums of squares of 100 ms segments

    def feed(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        if not len(x):
            return
        self.samples += len(x)
        self.energy += float(np.dot(x, x))
        self._peak = max(self._peak, float(np.max(np.abs(x))))
        self._note_true_peak(self._up.resample_chunk(x))
        self._raw_rest = self._take(np.concatenate([self._raw_rest, x]), self.window, True)
        self._k_rest = self._take(np.concatenate([self._k_rest, self._k(x)]), self._segment, False)

    def _note_true_peak(self, up: np.ndarray) -> None:
        if len(up):
            self._true_peak = max(self._true_peak, float(np.max(np.abs(up))))

    def _take(self, x: np.ndarray, size: int, raw: bool) -> np.ndarray:
        whole = len(x) // size * size
        if whole:
            squares = np.square(x[:whole]).reshape(-1, size)
            if raw:
                self._windows.append(squares.mean(axis=1))
            else:
                self._segments.append(squares.sum(axis=1))
        return x[whole:]

    def window_powers(self) -> np.ndarray:
        """Mean squares of the 10 ms windows so far, the last one maybe partial."""
        rest = [np.array([np.mean(np.square(self._raw_rest))])] if len(self._raw_rest) else []
        return np.concatenate([*self._windows, *rest]) if self._windows or rest else np.zeros(0)

    def speech_span(self, threshold_dbfs: float = SPEECH_THRESHOLD_DBFS) -> tuple[int, int] | None:
        """The first sample of the first speech window and the end of the last one (samples
        from the start); None when no window reaches `threshold_dbfs`."""
        loud = np.flatnonzero(self.window_powers() >= 10 ** (threshold_dbfs / 10))
        if not len(loud):
            return None
        return int(loud[0]) * self.window, min(self.samples, int(loud[-1] + 1) * self.window)

    def result(self) -> Measurement:
        """The figures of everything fed (the true-peak resampler is flushed: feed no more)."""
        self._note_true_peak(self._up.resample_chunk(np.zeros(0), last=True))
        seconds = self.samples / self.rate
        span = self.speech_span()
        head, end = span if span else (self.samples, 0)
        return Measurement(
            seconds=seconds,
            loudness_lufs=self._loudness(),
            rms_dbfs=db(self.energy / self.samples) if self.samples else FLOOR_DB,
            peak_dbfs=db(self._peak**2),
            true_peak_dbtp=db(max(self._true_peak, self._peak) ** 2),
            noise_floor_dbfs=self._noise_floor(),
            head_seconds=head / self.rate,
            tail_seconds=max(0, self.samples - end) / self.rate if span else 0.0,
        )

    def _noise_floor(self) -> float:
        powers = self.window_powers()
        if not len(powers):
            return FLOOR_DB
        whole = len(powers) // NOISE_WINDOW * NOISE_WINDOW
        groups = powers[:whole].reshape(-1, NOISE_WINDOW).mean(axis=1) if whole else powers
        quietest = np.sort(groups)[: max(1, math.ceil(len(groups) * NOISE_SHARE))]
        return db(float(np.mean(quietest)))

    def _loudness(self) -> float | None:
        """BS.1770-4 gated loudness over 400 ms blocks with 75 % overlap (as pyloudnorm)."""
        rest = [np.array([np.sum(np.square(self._k_rest))])] if len(self._k_rest) else []
        segments = np.concatenate([*self._segments, *rest]) if self._segments or rest else []
        blocks = round((self.samples / self.rate - 0.4) / _SEGMENT_SECONDS) + 1
        if self.samples < 0.4 * self.rate or blocks < 1:
            return None
        sums = np.convolve(segments, np.ones(_BLOCK_SEGMENTS), mode="valid")[:blocks]
        power = sums / (_BLOCK_SEGMENTS * _SEGMENT_SECONDS * self.rate)
        with np.errstate(divide="ignore"):
            levels = -0.691 + 10 * np.log10(power)
        gated = power[levels >= _ABSOLUTE_GATE]
        if not len(gated):
            return None
        relative = -0.691 + 10 * np.log10(np.mean(gated)) + _RELATIVE_GATE
        kept = power[(levels > relative) & (levels > _ABSOLUTE_GATE)]
        return float(-0.691 + 10 * np.log10(np.mean(kept))) if len(kept) else None


def measure(samples: np.ndarray, rate: int) -> Measurement:
    """The Measurement of a whole signal in memory (see Meter for a streamed one)."""
    meter = Meter(rate)
    meter.feed(samples)
    return meter.result()

"""The "audiobook" mastering preset's DSP: for one stretch (a chapter) a plan of gain and room
tone from its first-pass Meter, and the block processing (gain, noise gate, true-peak limiter).

A plan gives the chapter exactly HEAD and TAIL seconds of silence around its speech (padding
with digital silence or trimming silence already there) and one gain that puts the chapter's
RMS, room tone included, at the preset's target. Blocks are processed with a margin of context
on both sides, so a chapter streams through in blocks and the result does not depend on where
the blocks fall (windows are counted from the chapter's first kept sample)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soxr
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from backend.audio.measure import OVERSAMPLING, SPEECH_THRESHOLD_DBFS, Meter


@dataclass(frozen=True)
class Preset:
    """Targets inside the store rules (backend.audio.rules), with margins for what the limiter
    and the gate take away."""

    rms_dbfs: float = -20.0
    true_peak_dbtp: float = -3.5
    gate_dbfs: float = SPEECH_THRESHOLD_DBFS  # quieter 10 ms windows are room tone
    gate_depth_db: float = -20.0
    head_seconds: float = 0.75
    tail_seconds: float = 2.0


AUDIOBOOK = Preset()
LIMITER_SECONDS = 0.005  # the limiter's gain reaches this far either side of a peak
GATE_HOLD_WINDOWS = 5  # the gate opens 50 ms before speech and closes 50 ms after
MARGIN_SECONDS = 0.1  # context read either side of a block: more than hold, ramp and filters


@dataclass(frozen=True)
class Plan:
    """How one stretch of `length` input samples becomes output: the samples
    [keep_from, keep_to) times `gain`, after `pad_head` and before `pad_tail` zeros."""

    length: int
    keep_from: int
    keep_to: int
    pad_head: int
    pad_tail: int
    gain: float

    @property
    def output_length(self) -> int:
        return self.pad_head + (self.keep_to - self.keep_from) + self.pad_tail

    def shift(self, sample: int) -> int:
        """Where input sample `sample` (from the stretch's start) lands in the output."""
        moved = self.pad_head + sample - self.keep_from
        return min(max(moved, 0), self.output_length)


def plan(meter: Meter, preset: Preset = AUDIOBOOK) -> Plan:
    """The Plan for the stretch `meter` was fed (before its result() is read, or after)."""
    rate, length = meter.rate, meter.samples
    head, tail = round(preset.head_seconds * rate), round(preset.tail_seconds * rate)
    gain, span = 1.0, meter.speech_span(preset.gate_dbfs)
    if span is None or meter.energy <= 0:
        return Plan(length, 0, length, 0, 0, 1.0)
    for _ in range(3):  # the gain moves the speech threshold, the threshold the span: settle
        first, end = span
        target = 10 ** (preset.rms_dbfs / 20)
        gain = target * math.sqrt((end - first + head + tail) / meter.energy)
        span = meter.speech_span(preset.gate_dbfs - 20 * math.log10(gain)) or span
    first, end = span
    keep_from, keep_to = max(0, first - head), min(length, end + tail)
    return Plan(
        length, keep_from, keep_to, head - (first - keep_from), tail - (keep_to - end), gain
    )


def process(block: np.ndarray, rate: int, gain: float, preset: Preset = AUDIOBOOK) -> np.ndarray:
    """`block` (mono float) times `gain`, gated and true-peak limited; same length. Read it with
    MARGIN_SECONDS of context each side and keep the middle: the edges lack context."""
    y = np.asarray(block, dtype=np.float64) * gain
    if not len(y):
        return y.astype(np.float32)
    y *= _gate(y, rate, preset)
    y *= _limiter(y, rate, 10 ** (preset.true_peak_dbtp / 20))
    return y.astype(np.float32)


def _gate(y: np.ndarray, rate: int, preset: Preset) -> np.ndarray:
    """Per-sample gain: 1 around speech, gate_depth_db in the room tone, with 10 ms ramps."""
    window = max(1, round(rate * 0.01))
    count = math.ceil(len(y) / window)
    padded = np.zeros(count * window)
    padded[: len(y)] = y
    powers = np.mean(np.square(padded.reshape(count, window)), axis=1)
    is_open = maximum_filter1d(
        (powers >= 10 ** (preset.gate_dbfs / 10)).astype(np.float64), 2 * GATE_HOLD_WINDOWS + 1
    )
    per_window = np.where(is_open > 0, 1.0, 10 ** (preset.gate_depth_db / 20))
    return uniform_filter1d(np.repeat(per_window, window)[: len(y)], window, mode="nearest")


def _limiter(y: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Per-sample gain that keeps the 4x oversampled peaks under `ceiling`.

    Each sample's needed gain is the ceiling over its true peak; a moving minimum then a moving
    mean of the same width smooth it, and every mean covers only minima of windows holding the
    sample itself, so the smoothed gain never exceeds the gain that sample needs."""
    up = np.abs(soxr.resample(y, rate, rate * OVERSAMPLING))
    peaks = np.zeros(len(y) * OVERSAMPLING)
    peaks[: min(len(up), len(peaks))] = up[: len(peaks)]
    peaks = np.maximum(peaks.reshape(len(y), OVERSAMPLING).max(axis=1), np.abs(y))
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if np.all(needed >= 1.0):
        return needed
    width = 2 * max(1, round(rate * LIMITER_SECONDS)) + 1
    return uniform_filter1d(minimum_filter1d(needed, width, mode="nearest"), width, mode="nearest")

"""Reference clips made in tests: speech-like tones with silence around them."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf


def speech_like(
    seconds: float, rate: int = 24000, pitch: float = 160.0, pad: float = 0.5
) -> np.ndarray:
    """A voiced, syllable-modulated tone of `seconds`, with `pad` seconds of silence each side."""
    t = np.arange(int(seconds * rate)) / rate
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 3.5 * t)
    voiced = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 5))
    clip = (0.3 * syllables * voiced).astype(np.float32)
    silence = np.zeros(int(pad * rate), dtype=np.float32)
    return np.concatenate([silence, clip, silence])


def clip_bytes(
    seconds: float = 5.0, fmt: str = "WAV", rate: int = 24000, pitch: float = 160.0
) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, speech_like(seconds, rate, pitch), rate, format=fmt)
    return buffer.getvalue()

"""Audio made and measured in tests: speech-like clips (also as browsers record them), hand-made
WAV headers, a tone's pitch, and decoding of any stream the speech routes send."""

from __future__ import annotations

import io
import struct
from fractions import Fraction

import av
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


# How browsers' MediaRecorder writes a recording, as (PyAV muxer, codec, muxer options):
# Chrome and Firefox Opus in WebM, Safari AAC in MP4 (fragmented, moov first and empty).
RECORDERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "webm": ("webm", "libopus", {}),
    "mp4": ("mp4", "aac", {}),
    "fmp4": ("mp4", "aac", {"movflags": "frag_keyframe+empty_moov+default_base_moof"}),
}


class _WriteOnly:
    """A file PyAV cannot seek in: the muxer writes as it goes, as a live recorder does."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)


def recorded_clip(
    kind: str = "webm",
    seconds: float = 5.0,
    rate: int = 48000,
    channels: int = 1,
    live: bool = False,
    pitch: float = 160.0,
) -> bytes:
    """speech_like audio encoded as a browser records it (`kind` from RECORDERS). `live` writes
    without seeking back, so a WebM carries no duration, like Chrome's MediaRecorder output."""
    muxer, codec, options = RECORDERS[kind]
    sink: io.BytesIO | _WriteOnly = _WriteOnly() if live else io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    samples = np.tile(speech_like(seconds, rate, pitch), (channels, 1))
    with av.open(sink, "w", format=muxer, container_options=options) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        for start in range(0, samples.shape[1], rate // 10):
            piece = np.ascontiguousarray(samples[:, start : start + rate // 10])
            frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return bytes(sink.buffer) if isinstance(sink, _WriteOnly) else sink.getvalue()


def webm_with_duration(data: bytes, seconds: float) -> bytes:
    """A WebM whose header's Duration element says `seconds`, whatever the file holds."""
    at = data.index(b"\x44\x89\x88")  # Duration, an 8-byte float in milliseconds
    return data[: at + 3] + struct.pack(">d", seconds * 1000) + data[at + 11 :]


def wav_header(rate: int, data_size: int, payload: bytes) -> bytes:
    """A hand-made 16-bit mono RIFF/WAVE file whose header may claim any data size."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", data_size)
    return b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + body + payload


def dominant_hz(samples: np.ndarray, rate: int = 24000) -> float:
    """The frequency (Hz) of the strongest spectral peak: which tone a fake voice spoke."""
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(spectrum.argmax())])


def decode_stream(data: bytes, fmt: str) -> tuple[np.ndarray, int]:
    """Mono float32 samples and rate of a speech stream (mp3, opus, aac, flac, wav or pcm, which
    is raw 16-bit little-endian at 24 kHz), decoded by FFmpeg through PyAV."""
    if fmt == "pcm":
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, 24000
    pieces, rate = [], 0
    with av.open(io.BytesIO(data), "r") as container:
        for frame in container.decode(audio=0):
            rate = frame.sample_rate
            array = frame.to_ndarray().reshape(-1, frame.samples)  # mono: one row either way
            scale = 32768.0 if array.dtype == np.int16 else 1.0
            pieces.append(array.astype(np.float32).mean(axis=0) / scale)
    return (np.concatenate(pieces) if pieces else np.zeros(0, np.float32)), rate


def speech_seconds(samples: np.ndarray, rate: int, floor_db: float = -40.0) -> float:
    """Seconds from the first to the last 10 ms within `floor_db` of the loudest: the speech with
    its leading and trailing silence trimmed (pauses inside it count)."""
    hop = max(1, rate // 100)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    voiced = np.flatnonzero(rms >= rms.max() * 10 ** (floor_db / 20))
    return (int(voiced[-1]) + 1 - int(voiced[0])) * hop / rate

"""Audio to and from file bytes: encoding to wav/mp3/ogg/flac and decoding any of them."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
import soxr

from backend.core.speech import Audio

CONTENT_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
}

# soundfile (format, subtype) per output format.
_SOUNDFILE_FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "ogg": ("OGG", "VORBIS"),
    "flac": ("FLAC", "PCM_16"),
}

# The only rates MPEG-1, 2 and 2.5 layer III can carry.
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# libvorbis allocates each write's samples on the stack, so one large write overflows it and
# crashes the process (libsndfile/libsndfile#1095); writing in blocks keeps that allocation small.
_WRITE_BLOCK = 16384


def encode(audio: Audio, fmt: str) -> bytes:
    """Return `audio` as the bytes of a `fmt` file (wav, mp3, ogg or flac; see CONTENT_TYPES).

    Samples are clipped to [-1, 1] first. For mp3, a rate MPEG cannot carry is resampled to the
    nearest one it can. Raises ValueError for an unknown format.
    """
    if fmt not in _SOUNDFILE_FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; expected one of {sorted(CONTENT_TYPES)}")
    container, subtype = _SOUNDFILE_FORMATS[fmt]
    samples = np.clip(np.asarray(audio.samples, dtype=np.float32), -1.0, 1.0)
    rate = audio.sample_rate
    if fmt == "mp3" and rate not in MP3_SAMPLE_RATES:
        target = mp3_rate(rate)
        samples = np.clip(soxr.resample(samples, rate, target), -1.0, 1.0)
        rate = target
    if len(samples) == 0:
        # libsndfile writes no bytes at all for an empty MP3 or FLAC; one silent sample does.
        samples = np.zeros(1, dtype=np.float32)
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", rate, 1, subtype, format=container) as out:
        for start in range(0, len(samples), _WRITE_BLOCK):
            out.write(samples[start : start + _WRITE_BLOCK])
    return buffer.getvalue()


def mp3_rate(rate: int) -> int:
    """The MPEG layer III sample rate nearest to `rate` (Hz)."""
    return min(MP3_SAMPLE_RATES, key=lambda r: abs(r - rate))


def decode(data: bytes) -> Audio:
    """Read any file soundfile understands into mono float32 Audio (channels are averaged).

    Raises soundfile's own errors for unreadable bytes; callers map them to domain errors.
    """
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return Audio(samples=samples.mean(axis=1, dtype=np.float32), sample_rate=int(rate))

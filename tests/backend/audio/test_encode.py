"""Tests for backend/audio/encode.py: every format round-trips at the right rate and length."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from backend.audio.encode import CONTENT_TYPES, decode, encode
from backend.core.speech import Audio

FORMATS = ["wav", "mp3", "ogg", "flac"]


def tone(seconds: float = 1.0, sr: int = 24000, amplitude: float = 0.5) -> Audio:
    t = np.arange(int(sr * seconds)) / sr
    return Audio((amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sr", [22050, 24000])
def test_each_format_decodes_with_soundfile_at_the_same_rate_and_duration(
    fmt: str, sr: int
) -> None:
    data = encode(tone(1.5, sr), fmt)
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == sr
    assert len(samples) / rate == pytest.approx(1.5, abs=0.06)


def test_wav_and_flac_are_16_bit_pcm_and_ogg_is_vorbis() -> None:
    assert sf.info(io.BytesIO(encode(tone(), "wav"))).subtype == "PCM_16"
    assert sf.info(io.BytesIO(encode(tone(), "flac"))).subtype == "PCM_16"
    assert sf.info(io.BytesIO(encode(tone(), "ogg"))).subtype == "VORBIS"


def test_mp3_bytes_start_with_a_layer_iii_frame_sync() -> None:
    data = encode(tone(), "mp3")
    assert data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # 11 sync bits
    assert (data[1] >> 1) & 0b11 == 0b01  # layer bits 01 mean layer III


@pytest.mark.parametrize(("sr", "expected"), [(96000, 48000), (17000, 16000), (23000, 22050)])
def test_mp3_resamples_an_unsupported_rate_to_the_nearest_mpeg_rate(sr: int, expected: int) -> None:
    decoded = decode(encode(tone(1.0, sr), "mp3"))
    assert decoded.sample_rate == expected
    assert decoded.seconds == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("fmt", FORMATS)
def test_samples_beyond_full_scale_are_clipped_not_wrapped(fmt: str) -> None:
    decoded = decode(encode(tone(amplitude=3.0), fmt))
    assert np.abs(decoded.samples).max() <= 1.1
    # A wrapped int16 would flip sign at the peaks; clipped audio keeps the tone's sign.
    assert np.corrcoef(decoded.samples[:2000], tone().samples[:2000])[0, 1] > 0.5


def test_wav_round_trip_is_exact_to_16_bit_precision() -> None:
    audio = tone()
    decoded = decode(encode(audio, "wav"))
    assert np.abs(decoded.samples - audio.samples).max() < 1e-4


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_audio_still_encodes_a_readable_file(fmt: str) -> None:
    decoded = decode(encode(Audio(np.zeros(0, dtype=np.float32), 24000), fmt))
    assert decoded.sample_rate == 24000
    assert decoded.seconds < 0.01


def test_two_minutes_of_ogg_encodes_without_overflowing_the_stack() -> None:
    decoded = decode(encode(tone(120.0), "ogg"))
    assert decoded.seconds == pytest.approx(120.0, abs=0.1)


def test_content_types_name_each_format() -> None:
    assert CONTENT_TYPES == {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "ogg": "audio/ogg",
        "flac": "audio/flac",
    }


def test_unknown_format_raises_value_error() -> None:
    with pytest.raises(ValueError):
        encode(tone(), "aiff")


def test_decode_mixes_stereo_down_to_mono_float32() -> None:
    left = tone().samples
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    buffer = io.BytesIO()
    sf.write(buffer, stereo, 24000, format="WAV", subtype="FLOAT")
    decoded = decode(buffer.getvalue())
    assert decoded.samples.ndim == 1 and decoded.samples.dtype == np.float32
    assert np.allclose(decoded.samples, left / 2, atol=1e-6)


def test_decode_lets_soundfile_errors_through_for_garbage() -> None:
    with pytest.raises(sf.LibsndfileError):
        decode(b"not audio at all")

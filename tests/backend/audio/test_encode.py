"""Tests for backend/audio/encode.py: pieces fed in come out as one progressive, decodable stream,
and a whole clip as one file of the right rate and length, in every format."""

from __future__ import annotations

import gc
import io
import itertools
import struct
import sys

import av
import numpy as np
import pytest
import soundfile as sf

from backend.audio.encode import (
    FORMATS,
    PCM_SAMPLE_RATE,
    Encoder,
    encode,
    encoded_rate,
    format_headers,
)
from backend.core.speech import Audio
from tests.helpers.audio import dominant_hz

ALL = ["mp3", "opus", "ogg", "aac", "flac", "wav", "pcm"]
CONTAINERS = ["mp3", "opus", "ogg", "aac", "flac", "wav"]
PIECES_S = (0.7, 1.3, 0.5)
TOTAL_S = sum(PIECES_S)
# Encoder delay a stream cannot tell the decoder to skip (no seekable LAME/Xing header, no ADTS field).
PRIMING = {"mp3": 1105, "aac": 1024}
OPUS = ("opus", "ogg")  # both Opus in Ogg; ffmpeg decodes Opus at 48 kHz whatever it carries


def tone_pieces(sr: int, pieces_s: tuple[float, ...] = PIECES_S) -> list[np.ndarray]:
    """A continuous 440 Hz sine at half scale, cut into pieces of the given lengths."""
    bounds = np.cumsum([0, *(round(s * sr) for s in pieces_s)])
    t = np.arange(bounds[-1]) / sr
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return [tone[a:b] for a, b in itertools.pairwise(bounds)]


def encode_in_pieces(fmt: str, sr: int) -> tuple[Encoder, list[bytes], bytes]:
    """The encoder, what each feed returned, and all bytes (feeds then finish) joined."""
    encoder = Encoder(fmt, sr)
    fed = [encoder.feed(piece) for piece in tone_pieces(sr)]
    return encoder, fed, b"".join(fed) + encoder.finish()


def pyav_decode(data: bytes) -> tuple[np.ndarray, int]:
    """All audio in `data` as mono float32, and the rate PyAV decodes it at."""
    with av.open(io.BytesIO(data)) as container:
        rate = container.streams.audio[0].rate
        to_float = av.AudioResampler(format="flt", layout="mono", rate=rate)
        frames = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for out in to_float.resample(frame)
        ]
    return np.concatenate(frames or [np.zeros(0, np.float32)]), rate


@pytest.mark.parametrize("fmt", CONTAINERS)
@pytest.mark.parametrize("sr", [22050, 24000])
def test_pieces_decode_with_pyav_as_one_tone_of_the_summed_length(fmt: str, sr: int) -> None:
    encoder, _, data = encode_in_pieces(fmt, sr)
    samples, rate = pyav_decode(data)
    # ffmpeg's Opus decoder always outputs 48 kHz; the stream's own rate is checked with soundfile.
    assert rate == (48000 if fmt in OPUS else encoder.rate)
    played = samples[round(PRIMING.get(fmt, 0) * rate / encoder.rate) :]
    assert len(played) / rate == pytest.approx(TOTAL_S, abs=0.06)
    assert dominant_hz(played, rate) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "ogg"])
@pytest.mark.parametrize("sr", [22050, 24000])
def test_pieces_decode_with_soundfile_at_the_encoded_rate(fmt: str, sr: int) -> None:
    encoder, _, data = encode_in_pieces(fmt, sr)
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == encoder.rate
    played = samples[PRIMING.get(fmt, 0) :]
    assert len(played) / rate == pytest.approx(TOTAL_S, abs=0.06)
    assert dominant_hz(played, rate) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("sr", [22050, 24000])
def test_soundfile_reads_the_streamed_flac_header_and_audio(sr: int) -> None:
    encoder, _, data = encode_in_pieces("flac", sr)
    with sf.SoundFile(io.BytesIO(data)) as flac:
        assert flac.samplerate == encoder.rate
        # Total samples are unknown (0) in a stream: python-soundfile then reports a huge frame count
        # and its read() fails seeking at the very end, so read a known span rather than to the end.
        head = flac.read(round(2.0 * flac.samplerate), dtype="float32")
    assert len(head) == round(2.0 * encoder.rate)
    assert dominant_hz(head, encoder.rate) == pytest.approx(440, abs=5)


def test_the_opus_header_carries_the_encoded_rate() -> None:
    encoder, _, data = encode_in_pieces("opus", 22050)
    head = data.index(b"OpusHead")
    channels, _, input_rate = struct.unpack("<BHI", data[head + 9 : head + 16])
    assert (channels, input_rate) == (1, encoder.rate) == (1, 24000)


@pytest.mark.parametrize("fmt", ALL)
def test_every_feed_returns_bytes_before_finish(fmt: str) -> None:
    _, fed, _ = encode_in_pieces(fmt, 22050)
    assert all(fed), [len(piece) for piece in fed]


@pytest.mark.parametrize("fmt", CONTAINERS)
@pytest.mark.parametrize("sr", [22050, 24000])
def test_a_second_fed_is_mostly_playable_before_the_next_feed(fmt: str, sr: int) -> None:
    encoder = Encoder(fmt, sr)
    so_far = encoder.feed(tone_pieces(sr, (1.0,))[0])
    samples, rate = pyav_decode(so_far)
    playable = (len(samples) - PRIMING.get(fmt, 0) * rate / encoder.rate) / rate
    assert playable >= 1.0 - 0.25  # what the codec and muxer hold back (see Encoder)
    encoder.close()


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_the_first_feed_starts_with_the_format_magic(fmt: str) -> None:
    first = encode_in_pieces(fmt, 24000)[1][0]
    if fmt == "mp3":
        assert first[:3] == b"ID3" or (first[0] == 0xFF and first[1] & 0xE0 == 0xE0)
    elif fmt in OPUS:
        assert first[:4] == b"OggS" and b"OpusHead" in first[:64]
    elif fmt == "aac":
        assert first[0] == 0xFF and first[1] & 0xF0 == 0xF0
    elif fmt == "flac":
        assert first[:4] == b"fLaC"
    else:
        assert first[:4] == b"RIFF" and first[8:12] == b"WAVE"


def test_wav_sizes_say_unknown_length() -> None:
    data = encode_in_pieces("wav", 24000)[2]
    assert struct.unpack("<I", data[4:8])[0] == 0xFFFFFFFF
    assert data[36:40] == b"data" and struct.unpack("<I", data[40:44])[0] == 0xFFFFFFFF


@pytest.mark.parametrize("sr", [22050, 24000])
def test_pcm_is_headerless_24_khz_int16_that_reproduces_the_sine(sr: int) -> None:
    encoder, _, data = encode_in_pieces("pcm", sr)
    assert encoder.rate == 24000
    assert abs(len(data) // 2 - round(TOTAL_S * 24000)) <= 3
    assert len(data) % 2 == 0
    samples = np.frombuffer(data, "<i2").astype(np.float32) / 32767
    expected = 0.5 * np.sin(2 * np.pi * 440 * np.arange(len(samples)) / 24000)
    assert np.abs(samples - expected)[100:-100].max() < 0.01


def test_pieces_and_one_whole_piece_resample_to_the_same_pcm() -> None:
    whole = Encoder("pcm", 22050)
    one = whole.feed(np.concatenate(tone_pieces(22050))) + whole.finish()
    pieces = encode_in_pieces("pcm", 22050)[2]
    assert len(pieces) == len(one)
    diff = np.frombuffer(pieces, "<i2").astype(int) - np.frombuffer(one, "<i2").astype(int)
    assert np.abs(diff).max() <= 1  # no click or lost sample at a piece boundary


def test_samples_beyond_full_scale_are_clipped_not_wrapped() -> None:
    encoder = Encoder("pcm", 24000)
    data = encoder.feed(np.array([3.0, -3.0, 0.25], np.float32)) + encoder.finish()
    assert np.frombuffer(data, "<i2").tolist() == [32767, -32767, 8192]


@pytest.mark.parametrize(
    ("fmt", "sr", "expected"),
    [
        ("opus", 22050, 24000),
        ("opus", 24000, 24000),
        ("opus", 44100, 48000),
        ("opus", 96000, 48000),
        ("opus", 8000, 8000),
        ("ogg", 22050, 24000),
        ("pcm", 22050, 24000),
        ("pcm", 48000, 24000),
        ("mp3", 23000, 22050),
        ("mp3", 96000, 48000),
        ("mp3", 24000, 24000),
        ("wav", 22050, 22050),
        ("flac", 17000, 17000),
        ("aac", 22050, 22050),
    ],
)
def test_encoded_rate_is_one_the_format_can_carry(fmt: str, sr: int, expected: int) -> None:
    assert encoded_rate(fmt, sr) == expected
    assert Encoder(fmt, sr).rate == expected


def test_every_format_has_its_media_type() -> None:
    assert FORMATS == {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "ogg": "audio/ogg",
        "opus": "audio/ogg; codecs=opus",
        "aac": "audio/aac",
        "flac": "audio/flac",
        "pcm": "audio/pcm",
    }


def test_an_unknown_format_is_a_value_error_naming_the_formats() -> None:
    with pytest.raises(ValueError, match="opus"):
        Encoder("aiff", 24000)
    with pytest.raises(ValueError):
        encoded_rate("m4a", 24000)
    with pytest.raises(ValueError):
        encode(Audio(np.zeros(10, np.float32), 24000), "vorbis")


@pytest.mark.parametrize("fmt", ALL)
def test_feed_or_finish_after_finish_is_a_runtime_error(fmt: str) -> None:
    encoder = Encoder(fmt, 22050)
    encoder.finish()
    with pytest.raises(RuntimeError):
        encoder.feed(np.zeros(10, np.float32))
    with pytest.raises(RuntimeError):
        encoder.finish()


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_an_empty_stream_still_decodes(fmt: str) -> None:
    encoder = Encoder(fmt, 22050)
    data = encoder.finish()
    samples, _ = pyav_decode(data)
    assert len(samples) < 4096
    if fmt in ("wav", "flac", "opus", "ogg", "mp3"):
        assert sf.info(io.BytesIO(data)).samplerate == encoder.rate


def test_an_empty_pcm_stream_is_no_bytes() -> None:
    assert Encoder("pcm", 22050).finish() == b""


@pytest.mark.parametrize("fmt", ALL)
def test_close_without_finish_is_quiet_idempotent_and_ends_the_stream(fmt: str) -> None:
    encoder = Encoder(fmt, 22050)
    encoder.feed(tone_pieces(22050)[0])
    encoder.close()
    encoder.close()
    with pytest.raises(RuntimeError):
        encoder.feed(np.zeros(10, np.float32))


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_an_encoder_dropped_mid_stream_is_collected_without_error(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", errors.append)  # where __del__ errors would go
    encoder = Encoder(fmt, 22050)
    encoder.feed(tone_pieces(22050)[0])
    del encoder  # a client that disconnected: no finish(), no close()
    gc.collect()
    assert errors == []


# --- whole files (POST /tts) ------------------------------------------------------------------


def tone(seconds: float = 1.0, sr: int = 24000, amplitude: float = 0.5) -> Audio:
    t = np.arange(int(sr * seconds)) / sr
    return Audio((amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)


def decoded(data: bytes, fmt: str) -> tuple[np.ndarray, int]:
    if fmt == "pcm":
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0, PCM_SAMPLE_RATE
    return pyav_decode(data)


@pytest.mark.parametrize("fmt", ALL)
@pytest.mark.parametrize("sr", [22050, 24000])
def test_a_whole_file_decodes_with_pyav_to_the_tone_at_its_rate_and_length(
    fmt: str, sr: int
) -> None:
    data = encode(tone(1.5, sr), fmt)
    samples, rate = decoded(data, fmt)
    assert rate == (48000 if fmt in OPUS else encoded_rate(fmt, sr))
    # Whole mp3 files carry their encoder delay in a Xing/LAME frame, which decoders skip.
    played = samples[round(PRIMING["aac"] * rate / sr) :] if fmt == "aac" else samples
    assert len(played) / rate == pytest.approx(1.5, abs=0.05 if fmt == "aac" else 0.002)
    assert dominant_hz(played, rate) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "opus", "ogg"])
@pytest.mark.parametrize("sr", [22050, 24000])
def test_a_whole_file_tells_soundfile_its_exact_rate_and_length(fmt: str, sr: int) -> None:
    info = sf.info(io.BytesIO(encode(tone(1.5, sr), fmt)))
    assert info.samplerate == encoded_rate(fmt, sr)
    assert info.duration == pytest.approx(1.5, abs=0.002)


def test_whole_wav_sizes_are_filled_in_and_it_is_16_bit_pcm() -> None:
    data = encode(tone(1.0), "wav")
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert struct.unpack("<I", data[40:44])[0] == len(data) - 44 == 2 * 24000
    assert sf.info(io.BytesIO(data)).subtype == "PCM_16"


def test_whole_flac_says_how_many_samples_it_holds() -> None:
    with sf.SoundFile(io.BytesIO(encode(tone(1.0, 22050), "flac"))) as flac:
        assert flac.frames == 22050


def test_whole_mp3_starts_with_a_layer_iii_frame_sync() -> None:
    data = encode(tone(), "mp3")
    assert data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # 11 sync bits
    assert (data[1] >> 1) & 0b11 == 0b01  # layer bits 01 mean layer III


@pytest.mark.parametrize(("sr", "expected"), [(96000, 48000), (17000, 16000), (23000, 22050)])
def test_whole_mp3_resamples_an_unsupported_rate_to_the_nearest_mpeg_rate(
    sr: int, expected: int
) -> None:
    samples, rate = pyav_decode(encode(tone(1.0, sr), "mp3"))
    assert rate == expected
    assert len(samples) / rate == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("fmt", ALL)
def test_a_whole_file_clips_samples_beyond_full_scale_instead_of_wrapping(fmt: str) -> None:
    samples, rate = decoded(encode(tone(amplitude=3.0), fmt), fmt)
    assert np.abs(samples).max() <= 1.1
    # A wrapped int16 would flip sign at the peaks; clipped audio keeps the tone's pitch.
    assert dominant_hz(samples, rate) == pytest.approx(440, abs=5)


def test_a_whole_wav_round_trip_is_exact_to_16_bit_precision() -> None:
    audio = tone()
    samples, _ = pyav_decode(encode(audio, "wav"))
    assert np.abs(samples - audio.samples).max() < 1e-4


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_empty_audio_still_encodes_a_whole_readable_file(fmt: str) -> None:
    samples, _ = pyav_decode(encode(Audio(np.zeros(0, np.float32), 24000), fmt))
    assert len(samples) < 4096


def test_empty_audio_as_pcm_is_no_bytes() -> None:
    assert encode(Audio(np.zeros(0, np.float32), 22050), "pcm") == b""


def test_two_minutes_encode_whole_in_every_codec_format() -> None:
    audio = tone(120.0)
    for fmt in ("ogg", "mp3", "flac"):
        samples, rate = pyav_decode(encode(audio, fmt))
        assert len(samples) / rate == pytest.approx(120.0, abs=0.01), fmt


def test_whole_and_streamed_pcm_are_the_same_bytes() -> None:
    pieces = encode_in_pieces("pcm", 22050)[2]
    assert encode(Audio(np.concatenate(tone_pieces(22050)), 22050), "pcm") == pieces


def test_format_headers_give_the_rate_and_describe_headerless_pcm() -> None:
    assert format_headers("mp3", 22050) == {"X-Sample-Rate": "22050"}
    assert format_headers("pcm", 24000) == {
        "X-Sample-Rate": "24000",
        "X-Sample-Format": "s16le",
        "X-Channels": "1",
    }

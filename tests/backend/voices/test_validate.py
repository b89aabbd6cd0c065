"""Tests for backend/voices/validate.py: uploads in, clean mono references or clear errors out."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.errors import (
    AppError,
    AudioTooLong,
    AudioTooShort,
    AudioUnreadable,
    UnsupportedAudioFormat,
    UploadTooLarge,
)
from backend.core.settings import Settings
from backend.voices import validate
from backend.voices.validate import BLOCK_SAMPLES, sniff_container, validate_reference
from tests.helpers.audio import recorded_clip, wav_header, webm_with_duration

RATE = 16000


def speech(seconds: float, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    """Speech-like sound: a gliding voiced tone with harmonics and a syllable-rate swell."""
    t = np.arange(round(seconds * rate)) / rate
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voiced = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4))
    x = (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) * voiced
    return (amplitude * x / np.max(np.abs(x))).astype(np.float32)


def padded(seconds: float, lead: float = 0.0, tail: float = 0.0, **kw: float) -> np.ndarray:
    rate = int(kw.get("rate", RATE))
    silence = np.zeros(round(lead * rate), np.float32), np.zeros(round(tail * rate), np.float32)
    return np.concatenate([silence[0], speech(seconds, **kw), silence[1]])  # type: ignore[arg-type]


def encode(samples: np.ndarray, fmt: str = "WAV", rate: int = RATE) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format=fmt, subtype="PCM_16" if fmt == "WAV" else None)
    return buf.getvalue()


@pytest.fixture
def config() -> Settings:
    return Settings(_env_file=None)


def test_wav_clip_becomes_mono_float32_at_24000_hz_with_its_metadata(config: Settings) -> None:
    audio, meta = validate_reference(encode(speech(4.0)), "take.wav", config)

    assert audio.sample_rate == 24000
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.seconds == pytest.approx(4.0, abs=0.05)
    assert np.max(np.abs(audio.samples)) <= 1.0
    assert meta["filename"] == "take.wav"
    assert meta["original_sample_rate"] == RATE
    assert meta["channels"] == 1
    assert meta["format"] == "wav"
    assert meta["duration_seconds"] == pytest.approx(4.0, abs=0.05)
    assert meta["trimmed_seconds"] == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("seconds", [3.0, 3.01, 4.333, 5.999])
def test_stored_clips_are_whole_40_ms_tokens_long_padded_with_silence(
    config: Settings, seconds: float
) -> None:
    audio, _ = validate_reference(encode(speech(seconds)), "take.wav", config)

    assert len(audio.samples) % 960 == 0  # 40 ms at 24 kHz
    assert audio.seconds - seconds < 0.04 + 0.1  # at most one token of padding (+ kept edges)


def test_leading_and_trailing_silence_is_trimmed(config: Settings) -> None:
    audio, meta = validate_reference(encode(padded(4.0, lead=1.0, tail=1.5)), "a.wav", config)

    # Up to 50 ms of padding is kept either side, plus 20 ms frame granularity.
    assert 4.0 <= meta["duration_seconds"] <= 4.2
    assert 2.3 <= meta["trimmed_seconds"] <= 2.5
    assert 0 <= audio.seconds - meta["duration_seconds"] < 0.04  # padded to whole 40 ms tokens


def test_stereo_clip_is_mixed_down_to_the_mean_of_its_channels(config: Settings) -> None:
    voice = speech(4.0, amplitude=0.8)
    stereo = np.stack([voice, 0.5 * voice], axis=1)

    audio, meta = validate_reference(encode(stereo), "stereo.wav", config)

    assert meta["channels"] == 2
    assert audio.samples.ndim == 1
    assert np.max(np.abs(audio.samples)) == pytest.approx(0.6, abs=0.03)


@pytest.mark.parametrize(("fmt", "name"), [("MP3", "a.mp3"), ("FLAC", "a.flac"), ("OGG", "a.ogg")])
def test_mp3_flac_and_ogg_clips_are_accepted(config: Settings, fmt: str, name: str) -> None:
    audio, meta = validate_reference(encode(padded(4.0, lead=0.5, tail=0.5), fmt), name, config)

    assert meta["format"] == fmt.lower()
    assert audio.sample_rate == 24000
    assert meta["duration_seconds"] == pytest.approx(4.0, abs=0.2)


def test_extension_case_is_ignored_and_only_a_printable_basename_is_kept(
    config: Settings,
) -> None:
    name = "C:\\Users\\me\\Take\x00 1\udd00.WAV"
    _, meta = validate_reference(encode(speech(4.0)), name, config)

    assert meta["filename"] == "Take 1.WAV"


def test_container_is_taken_from_the_content_when_the_extension_disagrees(
    config: Settings,
) -> None:
    _, meta = validate_reference(encode(speech(4.0), "FLAC"), "really-flac.wav", config)

    assert meta["format"] == "flac"


def test_quiet_clip_is_raised_to_about_minus_one_dbfs(config: Settings) -> None:
    audio, meta = validate_reference(encode(speech(4.0, amplitude=0.02)), "quiet.wav", config)

    assert np.max(np.abs(audio.samples)) == pytest.approx(10 ** (-1 / 20), abs=0.01)
    assert meta["gain_db"] > 30


def test_clip_at_a_healthy_level_keeps_its_level(config: Settings) -> None:
    audio, meta = validate_reference(encode(speech(4.0, amplitude=0.5)), "ok.wav", config)

    assert np.max(np.abs(audio.samples)) == pytest.approx(0.5, abs=0.03)
    assert meta["gain_db"] == 0.0


@pytest.mark.parametrize("name", ["notes.txt", "voice", "voice.wav.exe", ""])
def test_unsupported_extension_is_refused_with_415(config: Settings, name: str) -> None:
    with pytest.raises(UnsupportedAudioFormat) as caught:
        validate_reference(encode(speech(4.0)), name, config)

    assert caught.value.status_code == 415
    assert ".wav, .mp3, .flac, .ogg, .webm, .m4a or .mp4" in caught.value.message
    assert caught.value.solution == validate.SOLUTION


def test_zero_length_file_is_unreadable_and_said_to_be_empty(config: Settings) -> None:
    with pytest.raises(AudioUnreadable) as caught:
        validate_reference(b"", "empty.wav", config)

    assert caught.value.status_code == 422
    assert "empty" in caught.value.message
    assert caught.value.solution == AudioUnreadable.default_solution


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (np.random.default_rng(7).bytes(4096), "noise.wav"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20, "doc.mp3"),
        (b"ID", "short.mp3"),
        (b"\xff\xf1\x50\x80" + bytes(600), "aac-adts.mp3"),
    ],
    ids=["random-bytes-as-wav", "pdf-as-mp3", "two-bytes", "aac-frame-as-mp3"],
)
def test_content_that_is_not_audio_is_refused_with_415_whatever_its_extension(
    config: Settings, data: bytes, name: str
) -> None:
    with pytest.raises(UnsupportedAudioFormat) as caught:
        validate_reference(data, name, config)

    assert caught.value.status_code == 415
    assert "not audio" in caught.value.message
    assert "whatever its extension says" in caught.value.message


def test_truncated_wav_header_is_unreadable(config: Settings) -> None:
    with pytest.raises(AudioUnreadable) as caught:
        validate_reference(encode(speech(4.0))[:30], "cut.wav", config)

    assert caught.value.status_code == 422
    assert "could not be decoded" in caught.value.message
    assert "BytesIO" not in caught.value.message


def test_wav_cut_off_right_after_its_header_has_no_speech(config: Settings) -> None:
    with pytest.raises(AudioTooShort, match="No speech found"):
        validate_reference(encode(speech(4.0))[:44], "cut.wav", config)


def test_header_claiming_a_huge_duration_is_refused_before_any_sample_is_decoded(
    config: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 Hz, 16-bit: 160 kB of data is 800 s, past the 600 s raw limit; the data size is giant.
    data = wav_header(100, 0xFFFFFF00, bytes(160_000))

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("samples were decoded")

    monkeypatch.setattr(sf.SoundFile, "read", no_decoding)
    monkeypatch.setattr(sf.SoundFile, "blocks", no_decoding)
    with pytest.raises(AudioTooLong) as caught:
        validate_reference(data, "liar.wav", config)

    assert caught.value.status_code == 422
    assert "800 s" in caught.value.message and "600 s" in caught.value.message
    assert caught.value.solution == AudioTooLong.default_solution


def test_wav_whose_data_size_overstates_the_file_is_read_for_what_it_holds(
    config: Settings,
) -> None:
    pcm = (speech(4.0) * 32767).astype("<i2").tobytes()

    _, meta = validate_reference(wav_header(RATE, 0xFFFFFF00, pcm), "streamed.wav", config)

    assert meta["duration_seconds"] == pytest.approx(4.0, abs=0.05)


def test_clip_of_a_fifth_of_a_second_is_too_short_and_says_so(config: Settings) -> None:
    with pytest.raises(AudioTooShort) as caught:
        validate_reference(encode(speech(0.2)), "blip.wav", config)

    error = caught.value
    assert error.status_code == 422
    assert "0.20 s" in error.message and "at least 3 s" in error.message
    assert error.to_dict()["seconds"] == 0.2
    assert error.solution == AudioTooShort.default_solution


def test_seventy_seconds_of_speech_is_too_long_and_says_so(config: Settings) -> None:
    with pytest.raises(AudioTooLong) as caught:
        validate_reference(encode(speech(70.0, rate=8000), rate=8000), "long.wav", config)

    error = caught.value
    assert error.status_code == 422
    assert "70.0 s" in error.message and "60 s" in error.message
    assert error.solution == AudioTooLong.default_solution


@pytest.mark.parametrize(
    "samples",
    [np.zeros(5 * RATE, np.float32), np.random.default_rng(1).normal(0, 1e-4, 5 * RATE)],
    ids=["digital-silence", "faint-hiss"],
)
def test_clip_without_speech_is_too_short_with_no_speech_found(
    config: Settings, samples: np.ndarray
) -> None:
    with pytest.raises(AudioTooShort) as caught:
        validate_reference(encode(samples.astype(np.float32)), "silence.wav", config)

    assert caught.value.status_code == 422
    assert "No speech found" in caught.value.message


def test_file_over_the_upload_limit_is_refused_with_413() -> None:
    small = Settings(_env_file=None, max_upload_mb=0.01)
    with pytest.raises(UploadTooLarge) as caught:
        validate_reference(encode(speech(4.0)), "big.wav", small)

    assert caught.value.status_code == 413
    assert "0.1 MB" in caught.value.message and "limit is 0.01 MB" in caught.value.message


def test_sample_rate_beyond_192_khz_is_refused_as_unsupported(config: Settings) -> None:
    with pytest.raises(UnsupportedAudioFormat, match="384000 Hz"):
        validate_reference(encode(speech(4.0, rate=384000), rate=384000), "bat.wav", config)


def test_limits_come_from_the_settings() -> None:
    strict = Settings(_env_file=None, voice_min_seconds=5.0)
    with pytest.raises(AudioTooShort, match="at least 5 s"):
        validate_reference(encode(speech(4.0)), "a.wav", strict)


def test_magic_bytes_name_the_container() -> None:
    assert sniff_container(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff_container(b"fLaC\x00") == "flac"
    assert sniff_container(b"OggS\x00") == "ogg"
    assert sniff_container(b"ID3\x04\x00") == "mp3"
    assert sniff_container(b"\xff\xfb\x90\x64") == "mp3"
    assert sniff_container(b"\x1a\x45\xdf\xa3\x9fB\x86\x81") == "webm"
    assert sniff_container(b"\x00\x00\x00\x1cftypiso5") == "mp4"
    assert sniff_container(b"RIFF\x00\x00\x00\x00AVI ") is None
    assert sniff_container(b"\xff\xd8\xff\xe0JFIF") is None


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from(
        [
            b"",
            b"RIFF\x10\x00\x00\x00WAVE",
            b"fLaC",
            b"OggS",
            b"ID3",
            b"\xff\xfb",
            b"\x1a\x45\xdf\xa3",
            b"\x00\x00\x00\x1cftypiso5",
        ]
    ),
    body=st.binary(max_size=512),
    ext=st.sampled_from([".wav", ".mp3", ".flac", ".ogg", ".webm", ".m4a"]),
)
def test_arbitrary_bytes_only_ever_raise_app_errors(prefix: bytes, body: bytes, ext: str) -> None:
    try:
        validate_reference(prefix + body, "fuzz" + ext, Settings(_env_file=None))
    except AppError as error:
        assert error.status_code in (413, 415, 422)


def long_high_rate_flac(seconds: int, rate: int = 192_000, speech_seconds: float = 5.0) -> bytes:
    """A stereo FLAC of `seconds` at `rate`: silence with speech in the middle. Silence packs
    small, so a long high-rate clip fits a small upload and decodes to a large one."""
    buf = io.BytesIO()
    voice = speech(speech_seconds, rate=rate)
    with sf.SoundFile(buf, "w", rate, 2, format="FLAC", subtype="PCM_16") as f:
        half_seconds = np.zeros((rate // 2, 2), np.float32)
        each_side = round(seconds - speech_seconds)  # half seconds, either side of the speech
        for _ in range(each_side):
            f.write(half_seconds)
        f.write(np.stack([voice, 0.5 * voice], axis=1))
        for _ in range(each_side):
            f.write(half_seconds)
    return buf.getvalue()


def test_a_long_high_rate_clip_is_kept_at_the_target_rate_while_it_is_decoded(
    config: Settings,
) -> None:
    # 100 s of 192 kHz stereo: 77 MB as mono float32 at its own rate, which the old decoder
    # held whole. Mixed and resampled block by block, only 100 s at 24 kHz (9.6 MB) is kept.
    data = long_high_rate_flac(100)
    assert len(data) < 5 * 2**20
    kept_at_target, decoded_at_source = 100 * 24_000 * 4, 100 * 192_000 * 4

    tracemalloc.start()
    try:
        audio, meta = validate_reference(data, "long.flac", config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < kept_at_target + 4 * BLOCK_SAMPLES * 4 < decoded_at_source / 2
    assert meta["original_sample_rate"] == 192_000 and meta["channels"] == 2
    assert meta["duration_seconds"] == pytest.approx(5.0, abs=0.1)
    assert meta["trimmed_seconds"] == pytest.approx(95.0, abs=0.1)
    assert np.max(np.abs(audio.samples)) == pytest.approx(0.375, abs=0.02)  # mean of 0.5, 0.25


def test_decoding_block_by_block_gives_the_same_clip_as_decoding_it_whole(
    config: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stereo = np.stack([padded(6.0, lead=1.0, tail=1.0, rate=48000)] * 2, axis=1)
    data = encode(stereo, "FLAC", rate=48000)  # 8 s x 48 kHz: several 512 k-frame blocks
    in_blocks, _ = validate_reference(data, "a.flac", config)
    monkeypatch.setattr(validate, "BLOCK_SAMPLES", 1 << 30)
    whole, _ = validate_reference(data, "a.flac", config)

    np.testing.assert_array_equal(in_blocks.samples, whole.samples)


def test_a_header_declaring_more_samples_than_one_upload_may_decode_is_refused_first(
    config: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap is ten minutes of 192 kHz stereo; here it is five seconds of 16 kHz stereo, so a
    # six-second clip passes as mono and is refused as stereo, with nothing decoded.
    monkeypatch.setattr(validate, "MAX_DECODED_SAMPLES", 5 * RATE * 2)
    voice = speech(6.0)
    assert validate_reference(encode(voice, "FLAC"), "mono.flac", config)[1]["channels"] == 1

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("samples were decoded")

    monkeypatch.setattr(sf.SoundFile, "blocks", no_decoding)
    monkeypatch.setattr(sf.SoundFile, "read", no_decoding)
    with pytest.raises(AudioTooLong) as caught:
        validate_reference(encode(np.stack([voice, voice], axis=1), "FLAC"), "st.flac", config)

    assert caught.value.status_code == 422
    assert "6 s x 16000 Hz x 2 channels" in caught.value.message
    assert "ten minutes of 192000 Hz stereo" in caught.value.message


def test_decoding_stops_where_the_header_says_the_audio_ends(
    config: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_blocks = sf.SoundFile.blocks
    pulled: list[int] = []

    def endless(self, *args, **kwargs):
        # A decoder that ignores the header's length and never ends.
        block = None
        for block in real_blocks(self, *args, **kwargs):
            pulled.append(len(block))
            yield block
        while True:
            pulled.append(len(block))
            yield block

    monkeypatch.setattr(sf.SoundFile, "blocks", endless)
    with pytest.raises(AudioUnreadable, match="more audio than its header declares"):
        validate_reference(encode(speech(4.0)), "endless.wav", config)

    assert sum(pulled) <= 4 * RATE + BLOCK_SAMPLES


# --- what browsers record: WebM (Opus) and MP4 (AAC), decoded by FFmpeg ----------------------


@pytest.mark.parametrize(
    ("kind", "name", "live", "channels", "rate"),
    [
        ("webm", "take.webm", False, 1, 48000),
        ("webm", "recording.webm", True, 2, 48000),  # Chrome: no duration in the header
        ("mp4", "take.m4a", False, 1, 44100),
        ("fmp4", "recording.mp4", False, 2, 48000),  # Safari: fragmented MP4
    ],
)
def test_browser_recordings_become_clean_references(
    config: Settings, kind: str, name: str, live: bool, channels: int, rate: int
) -> None:
    data = recorded_clip(kind, seconds=4.0, rate=rate, channels=channels, live=live)
    audio, meta = validate_reference(data, name, config)

    assert audio.sample_rate == 24000 and audio.samples.dtype == np.float32
    assert meta["format"] == ("webm" if kind == "webm" else "mp4")
    assert (meta["original_sample_rate"], meta["channels"]) == (rate, channels)
    assert meta["duration_seconds"] == pytest.approx(4.0, abs=0.2)


def test_a_blob_without_an_extension_is_taken_by_its_media_type(config: Settings) -> None:
    _, meta = validate_reference(
        recorded_clip("webm", 4.0), "blob", config, content_type="audio/webm;codecs=opus"
    )
    assert meta["format"] == "webm" and meta["filename"] == "blob"
    with pytest.raises(UnsupportedAudioFormat, match="does not end in"):
        validate_reference(recorded_clip("webm", 4.0), "blob", config, content_type="video/webm")


def test_a_webm_header_claiming_a_huge_duration_is_refused_before_decoding(
    config: Settings,
) -> None:
    data = webm_with_duration(recorded_clip("webm", 4.0), 10_000.0)
    with pytest.raises(AudioTooLong, match="10000 s long by its header"):
        validate_reference(data, "liar.webm", config)


def test_a_webm_holding_more_than_its_header_says_is_caught_by_the_cap(config: Settings) -> None:
    data = webm_with_duration(recorded_clip("webm", 8.0), 1.0)  # 9 s of audio, 1 s declared
    with pytest.raises(AudioUnreadable, match="more audio than its header declares"):
        validate_reference(data, "liar.webm", config)


def test_a_live_webm_with_no_length_stops_at_the_raw_limit() -> None:
    strict = Settings(_env_file=None, voice_max_raw_seconds=5.0)
    data = recorded_clip("webm", 8.0, live=True)  # 9 s, and no header length to refuse first
    with pytest.raises(AudioTooLong, match="runs past 5 s"):
        validate_reference(data, "long.webm", strict)


def test_a_live_webm_with_no_length_is_held_within_the_raw_limit_while_decoded() -> None:
    # 60 s raw limit: at most 60 s x 24 kHz of float32 is kept, whatever the file holds.
    strict = Settings(_env_file=None, voice_max_raw_seconds=60.0)
    data = recorded_clip("webm", 50.0, channels=2, live=True)
    tracemalloc.start()
    try:
        _, meta = validate_reference(data, "long.webm", strict)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert meta["duration_seconds"] == pytest.approx(50.0, abs=0.2)
    assert peak < 60 * 24_000 * 4 + 4 * BLOCK_SAMPLES * 4


def test_a_corrupt_webm_is_unreadable_and_says_so(config: Settings) -> None:
    data = recorded_clip("webm", 4.0)
    with pytest.raises(AudioUnreadable, match="WEBM header but could not be decoded"):
        validate_reference(data[:40] + b"garbage" * 50, "broken.webm", config)


def test_an_mp4_without_an_audio_track_is_refused_as_not_audio(config: Settings) -> None:
    # An ISO media file (a HEIC photo, say) behind an audio extension: no track to decode.
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    with pytest.raises((UnsupportedAudioFormat, AudioUnreadable)):
        validate_reference(heic, "photo.m4a", config)

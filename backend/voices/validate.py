"""Reference-clip validation: turns an uploaded file into a clean mono clip for voice cloning.

Pure and synchronous (CPU-bound: decoding and resampling); callers keep it off the event loop.
Memory is bounded before decoding: the header's length, rate and channels are checked first,
and the clip is mixed to mono and resampled to the target rate block by block, so one upload
holds at most voice_max_raw_seconds of mono audio at the target rate (57.6 MB at the defaults),
whatever rate and channels the file has.
"""

from __future__ import annotations

import io
import logging
import math

import numpy as np
import soundfile as sf
import soxr

from backend.core.errors import (
    AudioTooLong,
    AudioTooShort,
    AudioUnreadable,
    UnsupportedAudioFormat,
    UploadTooLarge,
)
from backend.core.settings import Settings
from backend.core.speech import Audio

logger = logging.getLogger(__name__)

EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg")
FRAME_SECONDS = 0.02  # trimming looks at 20 ms stretches
SILENCE_DB = -40.0  # a stretch this far below the loudest one is silence
FLOOR_DB = -60.0  # a clip whose loudest stretch is below this (dBFS) holds no speech
PAD_SECONDS = 0.05  # kept either side of the speech so soft onsets and endings survive
# Chatterbox reads a reference as 25 Hz speech tokens and 50 Hz mel frames; a clip that is not a
# whole number of 40 ms tokens gets an odd mel frame, which upstream warns about and which costs
# one frame (20 ms) of every output. Stored clips are padded with silence to whole tokens.
TOKEN_SECONDS = 0.04
QUIET_DB = -12.0  # peaks below this are raised to TARGET_PEAK_DB
TARGET_PEAK_DB = -1.0
BLOCK_SAMPLES = 1 << 20  # decoded per step and mixed to mono, so many channels never sit whole
MAX_RATE = 192_000
# Samples (frames x channels) one upload may decode, whatever its length: ten minutes of 192 kHz
# stereo. It bounds the decoding work, as voice_max_raw_seconds bounds the audio kept.
MAX_DECODED_SAMPLES = 600 * MAX_RATE * 2


def sniff_container(data: bytes) -> str | None:
    """The audio container the magic bytes announce ("wav", "mp3", "flac", "ogg"), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or _is_mpeg_frame(data[:4]):
        return "mp3"
    return None


def _is_mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, no reserved version, layer, rate or bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and rate != 0b11


def validate_reference(
    data: bytes, filename: str, settings: Settings, target_rate: int = 24000
) -> tuple[Audio, dict[str, object]]:
    """Check an uploaded clip and return it as trimmed, mono, float32 audio at `target_rate`.

    Raises UnsupportedAudioFormat (extension or content not audio), UploadTooLarge, AudioUnreadable
    (empty or undecodable), AudioTooShort / AudioTooLong (speech duration after trimming silence, or
    a header claiming more than `voice_max_raw_seconds`, which is refused before decoding).
    """
    basename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in basename if ch.isprintable())[:255]  # it is echoed back to clients
    if not name.lower().endswith(EXTENSIONS):
        raise UnsupportedAudioFormat(
            f"'{name}' does not end in .wav, .mp3, .flac or .ogg, so it is not accepted."
        )
    if not data:
        raise AudioUnreadable(f"The file '{name}' is empty (0 bytes).")
    if len(data) > settings.max_upload_bytes:
        raise UploadTooLarge(
            f"'{name}' is {len(data) / 2**20:.1f} MB; the limit is {settings.max_upload_mb:g} MB."
        )
    container = sniff_container(data)
    if container is None:
        raise UnsupportedAudioFormat(
            f"The content of '{name}' is not audio (no WAV, MP3, FLAC or OGG header), "
            "whatever its extension says."
        )
    mono, rate, channels = _decode_mono(
        data, name, container, settings.voice_max_raw_seconds, target_rate
    )
    raw_seconds = len(mono) / target_rate

    start, end = _speech_bounds(mono, target_rate, name)
    clip = mono[start:end]
    seconds = len(clip) / target_rate
    if seconds < settings.voice_min_seconds:
        raise AudioTooShort(
            f"'{name}' holds {seconds:.2f} s of sound after trimming silence; "
            f"at least {settings.voice_min_seconds:g} s is needed.",
            seconds=round(seconds, 2),
            min_seconds=settings.voice_min_seconds,
        )
    if seconds > settings.voice_max_seconds:
        raise AudioTooLong(
            f"'{name}' holds {seconds:.1f} s of sound after trimming silence; "
            f"the most a reference may be is {settings.voice_max_seconds:g} s.",
            seconds=round(seconds, 2),
            max_seconds=settings.voice_max_seconds,
        )

    clip, gain_db = _normalise(np.ascontiguousarray(clip, dtype=np.float32))
    clip = _pad_to_whole_tokens(clip, target_rate)
    meta: dict[str, object] = {
        "filename": name,
        "original_sample_rate": rate,
        "channels": channels,
        "format": container,
        "duration_seconds": round(seconds, 3),
        "trimmed_seconds": round(raw_seconds - seconds, 3),
        "gain_db": round(gain_db, 2),
    }
    logger.info("Validated reference clip %r: %s", name, meta)
    return Audio(samples=clip, sample_rate=target_rate), meta


def _decode_mono(
    data: bytes, name: str, container: str, max_raw_seconds: float, target_rate: int
) -> tuple[np.ndarray, int, int]:
    """Decode to mono float32 at `target_rate`; return it with the file's rate and channels.

    The header's length, rate and channels are checked before any sample is decoded; decoding
    then stops where the header said the audio ends, should the decoder find more.
    """
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            rate, channels, frames = f.samplerate, f.channels, f.frames
            _check_header(name, rate, channels, frames, max_raw_seconds)
            kept = np.empty(math.ceil(frames * target_rate / rate) + 16, dtype=np.float32)
            filled = decoded = 0
            resampler = None
            if rate != target_rate:
                resampler = soxr.ResampleStream(rate, target_rate, 1, "float32", quality="HQ")
            # One buffer for every block (blocks() would copy each one otherwise).
            buffer = np.empty((max(1, min(BLOCK_SAMPLES // channels, frames)), channels), "float32")
            for block in f.blocks(out=buffer, dtype="float32", always_2d=True):
                decoded += len(block)
                if decoded > frames:
                    raise AudioUnreadable(
                        f"'{name}' holds more audio than its header declares "
                        f"({frames / rate:.0f} s); it was not decoded further."
                    )
                mono = block.mean(axis=1, dtype=np.float32)
                filled = _append(kept, filled, _resampled(resampler, mono))
            if resampler is not None:
                tail = resampler.resample_chunk(np.empty(0, np.float32), last=True)
                filled = _append(kept, filled, tail)
    except (RuntimeError, ValueError, OSError, EOFError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise AudioUnreadable(
            f"'{name}' has a {container.upper()} header but could not be decoded ({reason})."
        ) from exc
    return kept[:filled], rate, channels


def _check_header(name: str, rate: int, channels: int, frames: int, max_raw_seconds: float) -> None:
    """Refuse, from the header alone, a clip too long or too large to decode."""
    if rate <= 0 or channels <= 0:
        raise AudioUnreadable(f"'{name}' declares {rate} Hz and {channels} channels.")
    if rate > MAX_RATE:
        raise UnsupportedAudioFormat(
            f"'{name}' is sampled at {rate} Hz; rates up to {MAX_RATE} Hz are accepted."
        )
    if frames / rate > max_raw_seconds:
        raise AudioTooLong(
            f"'{name}' is {frames / rate:.0f} s long by its header; files over "
            f"{max_raw_seconds:g} s are refused before decoding.",
            seconds=round(frames / rate, 2),
            max_seconds=max_raw_seconds,
        )
    if frames * channels > MAX_DECODED_SAMPLES:
        raise AudioTooLong(
            f"'{name}' holds {frames * channels / 1e6:.0f} million samples by its header "
            f"({frames / rate:.0f} s x {rate} Hz x {channels} channels); at most "
            f"{MAX_DECODED_SAMPLES / 1e6:.0f} million (ten minutes of {MAX_RATE} Hz stereo) "
            "are decoded for one upload.",
            seconds=round(frames / rate, 2),
        )


def _resampled(resampler: soxr.ResampleStream | None, mono: np.ndarray) -> np.ndarray:
    # Float files may carry NaN, infinities or peaks above full scale.
    np.nan_to_num(mono, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    return mono if resampler is None else resampler.resample_chunk(mono)


def _append(kept: np.ndarray, filled: int, chunk: np.ndarray) -> int:
    """Copy `chunk` into `kept` at `filled` (the resampler's last few samples may not fit)."""
    room = min(len(chunk), len(kept) - filled)
    kept[filled : filled + room] = chunk[:room]
    return filled + room


def _speech_bounds(mono: np.ndarray, rate: int, name: str) -> tuple[int, int]:
    """Sample range from the first to the last stretch within SILENCE_DB of the loudest, padded."""
    hop = max(1, round(rate * FRAME_SECONDS))
    if len(mono) == 0:
        raise AudioTooShort(f"No speech found in '{name}': it holds no samples (0 s).", seconds=0.0)
    # Whole frames are views, not copies; a last partial frame (< 20 ms) is left out.
    frames = mono[: len(mono) // hop * hop].reshape(-1, hop) if len(mono) >= hop else mono[None]
    rms = np.sqrt(np.einsum("ij,ij->i", frames, frames) / frames.shape[1])
    loudest = float(rms.max())
    if loudest <= 10 ** (FLOOR_DB / 20):
        level = f"at {20 * np.log10(loudest):.0f} dBFS" if loudest > 0 else "digital silence"
        raise AudioTooShort(
            f"No speech found in '{name}': its loudest 20 ms is {level}, "
            f"below the {FLOOR_DB:.0f} dBFS a voice needs.",
            seconds=0.0,
        )
    voiced = np.flatnonzero(rms >= loudest * 10 ** (SILENCE_DB / 20))
    pad = round(rate * PAD_SECONDS)
    start = max(0, int(voiced[0]) * hop - pad)
    end = min(len(mono), (int(voiced[-1]) + 1) * hop + pad)
    return start, end


def _pad_to_whole_tokens(clip: np.ndarray, rate: int) -> np.ndarray:
    token = round(rate * TOKEN_SECONDS)
    return np.pad(clip, (0, -len(clip) % token))


def _normalise(clip: np.ndarray) -> tuple[np.ndarray, float]:
    """Bring a quiet clip, or one above full scale, to TARGET_PEAK_DB; return it and the gain."""
    peak = float(np.max(np.abs(clip))) if len(clip) else 0.0
    gain_db = 0.0
    if peak > 0.0 and (peak < 10 ** (QUIET_DB / 20) or peak > 1.0):
        gain = 10 ** (TARGET_PEAK_DB / 20) / peak
        clip = clip * np.float32(gain)
        gain_db = 20 * float(np.log10(gain))
    return np.clip(clip, -1.0, 1.0).astype(np.float32, copy=False), gain_db

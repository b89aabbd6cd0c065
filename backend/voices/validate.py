"""Reference-clip validation: turns an uploaded file into a clean mono clip for voice cloning.

Pure and synchronous (CPU-bound: decoding and resampling); callers keep it off the event loop.
WAV, MP3, FLAC and OGG are read by libsndfile (soundfile); what browsers record, WebM (Opus, from
Chrome's and Firefox's MediaRecorder) and MP4 (AAC, from Safari's), by FFmpeg (PyAV). Memory is
bounded before decoding either way: the header's length, rate and channels are checked first (a
recording whose header gives no length counts as voice_max_raw_seconds long), and the clip is
mixed to mono and resampled to the target rate block by block, stopping where the header said it
ends, so one upload holds at most voice_max_raw_seconds of mono audio at the target rate (57.6 MB
at the defaults), whatever rate and channels the file has or claims.
"""

from __future__ import annotations

import io
import logging
import math

import av
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

EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".webm", ".m4a", ".mp4")
# What browsers label a recording (MediaRecorder's mimeType, maybe with ";codecs=..."), for an
# upload named without an extension (a Blob's "blob").
MEDIA_TYPES = frozenset(
    {"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/flac", "audio/ogg",
     "audio/webm", "audio/mp4", "audio/x-m4a"}
)  # fmt: skip
ACCEPTED = "WAV, MP3, FLAC, OGG, WebM (Opus) or MP4 (AAC)"
SOLUTION = f"Upload {ACCEPTED} audio."
# Containers FFmpeg demuxes (PyAV), with the audio codecs decoded from them.
PYAV_DEMUXERS = {"webm": "matroska", "mp4": "mp4"}
PYAV_CODECS = frozenset({"opus", "vorbis", "aac", "alac", "mp3", "flac"})
# Codecs decode whole frames and MP4/WebM durations are rounded, so a file may decode a little
# past its header's length; past this much more, the header is taken to lie.
HEADER_SLACK_SECONDS = 0.2
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
    """The audio container the magic bytes announce ("wav", "mp3", "flac", "ogg", "webm" for
    any EBML/Matroska file, "mp4" for any ISO media file), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[4:8] == b"ftyp":
        return "mp4"
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
    data: bytes,
    filename: str,
    settings: Settings,
    target_rate: int = 24000,
    content_type: str | None = None,
) -> tuple[Audio, dict[str, object]]:
    """Check an uploaded clip and return it as trimmed, mono, float32 audio at `target_rate`.

    The file is taken when its name ends in one of EXTENSIONS, or when it has no such ending and
    `content_type` (the upload's) is one of MEDIA_TYPES; the content decides the container.

    Raises UnsupportedAudioFormat (extension or content not audio), UploadTooLarge, AudioUnreadable
    (empty or undecodable), AudioTooShort / AudioTooLong (speech duration after trimming silence, or
    a header claiming more than `voice_max_raw_seconds`, which is refused before decoding).
    """
    name, mono, rate, channels, container = _decode_upload(
        data, filename, settings, target_rate, content_type
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


def decode_recording(
    data: bytes,
    filename: str,
    settings: Settings,
    target_rate: int = 24000,
    content_type: str | None = None,
) -> Audio:
    """An uploaded recording as mono float32 at `target_rate`, exactly as long as it is: no
    trimming, no gain (voice conversion keeps its timing). The same formats, size and header
    limits as `validate_reference`; at most `voice_max_raw_seconds` long."""
    name, mono, _, _, _ = _decode_upload(data, filename, settings, target_rate, content_type)
    if not len(mono):
        raise AudioTooShort(f"'{name}' holds no sound.", seconds=0.0, min_seconds=0.01)
    return Audio(np.ascontiguousarray(mono, dtype=np.float32), target_rate)


def _decode_upload(
    data: bytes, filename: str, settings: Settings, target_rate: int, content_type: str | None
) -> tuple[str, np.ndarray, int, int, str]:
    """(printable name, mono samples at target_rate, the file's rate, channels, container)."""
    basename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in basename if ch.isprintable())[:255]  # it is echoed back to clients
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if not name.lower().endswith(EXTENSIONS) and media_type not in MEDIA_TYPES:
        raise UnsupportedAudioFormat(
            f"'{name}' does not end in {', '.join(EXTENSIONS[:-1])} or {EXTENSIONS[-1]}, "
            "so it is not accepted.",
            SOLUTION,
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
            f"The content of '{name}' is not audio (no WAV, MP3, FLAC, OGG, WebM or MP4 "
            "header), whatever its extension says.",
            SOLUTION,
        )
    decode = _decode_pyav if container in PYAV_DEMUXERS else _decode_mono
    mono, rate, channels = decode(
        data, name, container, settings.voice_max_raw_seconds, target_rate
    )
    return name, mono, rate, channels, container


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
            mono = _Mono(name, rate, frames, target_rate, max_raw_seconds, declared=True)
            # One buffer for every block (blocks() would copy each one otherwise).
            buffer = np.empty((max(1, min(BLOCK_SAMPLES // channels, frames)), channels), "float32")
            for block in f.blocks(out=buffer, dtype="float32", always_2d=True):
                mono.add(block.mean(axis=1, dtype=np.float32))
            return mono.finish(), rate, channels
    except (RuntimeError, ValueError, OSError, EOFError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise AudioUnreadable(
            f"'{name}' has a {container.upper()} header but could not be decoded ({reason})."
        ) from exc


def _decode_pyav(
    data: bytes, name: str, container: str, max_raw_seconds: float, target_rate: int
) -> tuple[np.ndarray, int, int]:
    """_decode_mono for what FFmpeg demuxes (WebM, MP4): the first audio track, frame by frame.

    A header without a length (a live MediaRecorder WebM has none) counts as `max_raw_seconds`;
    decoding past it is AudioTooLong, and past a length the header does give, AudioUnreadable.
    """
    try:
        with av.open(io.BytesIO(data), "r", format=PYAV_DEMUXERS[container]) as f:
            if not f.streams.audio:
                raise UnsupportedAudioFormat(f"'{name}' holds no audio track.", SOLUTION)
            stream = f.streams.audio[0]
            codec = stream.codec_context
            if codec.name not in PYAV_CODECS:
                raise UnsupportedAudioFormat(
                    f"The audio of '{name}' is {codec.name}, which is not accepted in "
                    f"{container.upper()}; {', '.join(sorted(PYAV_CODECS))} are.",
                    SOLUTION,
                )
            rate, channels = codec.sample_rate, codec.channels
            seconds = _header_seconds(stream, f)
            declared = seconds is not None
            frames = math.ceil((seconds if declared else max_raw_seconds) * max(rate, 0))
            _check_header(name, rate, channels, frames, max_raw_seconds)
            mono = _Mono(
                name,
                rate,
                frames,
                target_rate,
                max_raw_seconds,
                declared=declared,
                slack_seconds=HEADER_SLACK_SECONDS,
            )
            planar = av.AudioResampler(format="fltp", rate=rate)  # any layout, at the header rate
            for frame in f.decode(stream):
                for out in planar.resample(frame):
                    mono.add(out.to_ndarray().mean(axis=0, dtype=np.float32))
            for out in planar.resample(None):
                mono.add(out.to_ndarray().mean(axis=0, dtype=np.float32))
            return mono.finish(), rate, channels
    except (av.FFmpegError, RuntimeError, ValueError, OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise AudioUnreadable(
            f"'{name}' has a {container.upper()} header but could not be decoded ({reason})."
        ) from exc


def _header_seconds(
    stream: av.audio.stream.AudioStream, f: av.container.InputContainer
) -> float | None:
    """The length the header declares (the track's, else the file's), or None."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if f.duration:
        return f.duration / av.time_base
    return None


class _Mono:
    """Mono blocks of a file at `rate`, resampled to `target_rate` into one buffer sized from
    the header's `frames` (plus `slack_seconds` where the decoder may read a little past a
    declared length); a block past them stops the decoding: the header lied (`declared`), or it
    gave no length and the file is longer than `max_raw_seconds`."""

    def __init__(
        self,
        name: str,
        rate: int,
        frames: int,
        target_rate: int,
        max_raw_seconds: float,
        *,
        declared: bool,
        slack_seconds: float = 0.0,
    ) -> None:
        self._name, self._rate, self._frames = name, rate, frames
        self._declared, self._max_raw_seconds = declared, max_raw_seconds
        self._limit = frames + (round(slack_seconds * rate) if declared else 0)
        self._decoded = self._filled = 0
        self._kept = np.empty(math.ceil(self._limit * target_rate / rate) + 16, dtype=np.float32)
        self._resampler = None
        if rate != target_rate:
            self._resampler = soxr.ResampleStream(rate, target_rate, 1, "float32", quality="HQ")

    def add(self, mono: np.ndarray) -> None:
        self._decoded += len(mono)
        if self._decoded > self._limit:
            if self._declared:
                raise AudioUnreadable(
                    f"'{self._name}' holds more audio than its header declares "
                    f"({self._frames / self._rate:.0f} s); it was not decoded further."
                )
            raise AudioTooLong(
                f"'{self._name}' runs past {self._max_raw_seconds:g} s (its header gives no "
                "length); it was not decoded further.",
                max_seconds=self._max_raw_seconds,
            )
        self._append(_resampled(self._resampler, mono))

    def finish(self) -> np.ndarray:
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.empty(0, np.float32), last=True))
        return self._kept[: self._filled]

    def _append(self, chunk: np.ndarray) -> None:
        """Copy `chunk` in (the resampler's last few samples may not fit)."""
        room = min(len(chunk), len(self._kept) - self._filled)
        self._kept[self._filled : self._filled + room] = chunk[:room]
        self._filled += room


def _check_header(name: str, rate: int, channels: int, frames: int, max_raw_seconds: float) -> None:
    """Refuse, from the header alone, a clip too long or too large to decode."""
    if rate <= 0 or channels <= 0:
        raise AudioUnreadable(f"'{name}' declares {rate} Hz and {channels} channels.")
    if rate > MAX_RATE:
        raise UnsupportedAudioFormat(
            f"'{name}' is sampled at {rate} Hz; rates up to {MAX_RATE} Hz are accepted.", SOLUTION
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

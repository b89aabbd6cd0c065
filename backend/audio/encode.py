"""The one audio encoder (PyAV): mono float32 audio to wav/mp3/ogg/opus/aac/flac/pcm bytes,
either as one whole file (POST /tts) or progressively, piece by piece (POST /v1/audio/speech)."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
import soxr

from backend.core.speech import Audio

# Every format both speech routes offer, with its media type.
FORMATS: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",  # Opus in Ogg: PyAV's FFmpeg has no usable Vorbis encoder
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "pcm": "audio/pcm",
}

# The only rates MPEG-1, 2 and 2.5 layer III can carry.
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
PCM_SAMPLE_RATE = 24000  # OpenAI's raw PCM: 24 kHz, 16-bit signed little-endian, mono
_UNKNOWN_SIZE = 0xFFFFFFFF  # what streaming servers put in RIFF size fields of unknown length
_WHOLE_BLOCK = 1 << 16  # samples per frame when a whole clip is encoded: bounded frame memory


@dataclass(frozen=True)
class _Codec:
    """How one format is muxed by PyAV: muxer, encoder, bit rate and muxer options."""

    muxer: str
    codec: str
    bit_rate: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    stream_options: dict[str, str] = field(default_factory=dict)


_OGG_OPUS = _Codec(
    # Ogg pages of at most 100 ms (default 1 s), so little audio waits in an open page.
    "ogg", "libopus", 48000, {"page_duration": "100000"}
)  # fmt: skip
_CODECS: dict[str, _Codec] = {
    # No ID3v2 tag. A stream carries bare MPEG frames: the Xing frame, which tells decoders
    # the length and the encoder delay to skip, needs a seek back, so only whole files get it.
    "mp3": _Codec("mp3", "libmp3lame", 64000, {"id3v2_version": "0"}, {"write_xing": "0"}),
    "ogg": _OGG_OPUS,
    "opus": _OGG_OPUS,
    "aac": _Codec("adts", "aac", 64000),
    "flac": _Codec("flac", "flac"),
}


def encoded_rate(fmt: str, sample_rate: int) -> int:
    """The sample rate (Hz) the `fmt` bytes carry for input at `sample_rate`.

    opus, ogg: the nearest rate Opus supports at or above the input (22050 -> 24000), at most
    48000. pcm: always 24000, the rate OpenAI clients assume. mp3: the nearest MPEG layer III
    rate. wav, flac, aac: unchanged. Raises ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; expected one of {sorted(FORMATS)}")
    if fmt in ("opus", "ogg"):
        return next((r for r in OPUS_SAMPLE_RATES if r >= sample_rate), OPUS_SAMPLE_RATES[-1])
    if fmt == "pcm":
        return PCM_SAMPLE_RATE
    if fmt == "mp3":
        return min(MP3_SAMPLE_RATES, key=lambda r: abs(r - sample_rate))
    return sample_rate


def format_headers(fmt: str, rate: int) -> dict[str, str]:
    """Response headers that describe `fmt` bytes at `rate`: the rate, and for headerless pcm
    its sample format and channels."""
    headers = {"X-Sample-Rate": str(rate)}
    if fmt == "pcm":
        headers |= {"X-Sample-Format": "s16le", "X-Channels": "1"}
    return headers


def encode(audio: Audio, fmt: str) -> bytes:
    """`audio` as the bytes of one whole `fmt` file (see Encoder, whole=True)."""
    encoder = Encoder(fmt, audio.sample_rate, whole=True)
    try:
        samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
        for start in range(0, len(samples), _WHOLE_BLOCK):
            encoder.feed(samples[start : start + _WHOLE_BLOCK])
        return encoder.finish()
    finally:
        encoder.close()


class _Sink:
    """A write-only, non-seekable file for PyAV; `closed` set makes PyAV skip the trailer."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.closed = False

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


class _WholeSink(io.BytesIO):
    """A seekable file for PyAV that hands out its bytes only once they are all written."""

    def take(self) -> bytes:
        return b""


class Encoder:
    """Encodes mono float32 audio arriving in pieces into one `fmt` file (see FORMATS).

    Streamed (whole=False): feed() and finish() return the bytes ready so far (b"" while a codec
    is still buffering); all returned pieces concatenated are one valid stream that decodes to
    the concatenated audio, resampled to `rate`. Audio held back until the next feed or finish
    (measured): wav and pcm none; flac the unfilled part of one ~105 ms block; mp3 and aac the
    encoder's lookahead and a part frame, ~100-150 ms; opus the open Ogg page and the last full
    one (the muxer keeps it to flag end-of-stream), up to ~210 ms. Resampling adds ~30 ms. A
    stream cannot say how much priming to skip, so mp3 decoders play 1105 samples of encoder
    delay first; wav and flac say 'unknown' for their length.

    Whole (whole=True): feed() returns b"" and finish() the whole file, written seekably, so
    wav sizes and flac's sample count are filled in and mp3 gets a Xing/LAME frame (its length
    and encoder delay, which decoders skip).

    Either way samples are clipped to [-1, 1], aac decoders play 1024 samples of priming (ADTS
    has no field for it), and an empty input still decodes: wav is a bare header, pcm is b"",
    and codecs carry one silent sample. Not thread-safe; one per response. close() (idempotent)
    frees the codec without more bytes.
    """

    def __init__(self, fmt: str, sample_rate: int, *, whole: bool = False) -> None:
        self._container: av.container.OutputContainer | None = None  # first: __del__ reads it
        self._rate = encoded_rate(fmt, sample_rate)
        self._resampler = (
            soxr.ResampleStream(sample_rate, self._rate, 1, dtype="float32")
            if self._rate != sample_rate
            else None
        )
        self._samples_out = 0
        self._done = False
        self._fmt = fmt
        self._sink: _Sink | _WholeSink = _WholeSink() if whole else _Sink()
        self._stream: av.audio.stream.AudioStream | None = None
        codec = _CODECS.get(fmt)
        if codec is not None:
            # flush_packets: drain ffmpeg's AVIO buffer after each packet (else it holds 32 KiB).
            options = {**codec.options, **({} if whole else codec.stream_options)}
            if not whole:
                options["flush_packets"] = "1"
            self._container = av.open(
                self._sink, "w", format=codec.muxer, container_options=options
            )
            self._stream = self._container.add_stream(codec.codec, rate=self._rate, layout="mono")
            if codec.bit_rate:
                self._stream.bit_rate = codec.bit_rate
        elif fmt == "wav":
            self._sink.write(_wav_header(self._rate))

    @property
    def rate(self) -> int:
        """The sample rate (Hz) of the output: encoded_rate(fmt, sample_rate)."""
        return self._rate

    def feed(self, samples: np.ndarray) -> bytes:
        """Encode the next piece of audio; return the bytes now ready (maybe b"")."""
        self._check_open()
        pcm = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
        if self._resampler is not None:
            pcm = self._resampler.resample_chunk(pcm)
        self._encode(pcm)
        return self._sink.take()

    def finish(self) -> bytes:
        """Flush resampler, codec and trailer; return the last bytes. Then feed/finish raise."""
        self._check_open()
        if self._resampler is not None:
            self._encode(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        self._done = True
        if self._container is not None and self._stream is not None:
            if self._samples_out == 0:
                # A codec stream without a single packet is not decodable; one silent sample is.
                self._encode(np.zeros(1, np.float32))
            self._container.mux(self._stream.encode(None))
            self._container.close()
            self._container = None
        if isinstance(self._sink, _WholeSink):
            if self._fmt == "wav":  # the sizes are known now
                size = self._samples_out * 2
                self._sink.seek(4)
                self._sink.write(struct.pack("<I", min(36 + size, _UNKNOWN_SIZE)))
                self._sink.seek(40)
                self._sink.write(struct.pack("<I", min(size, _UNKNOWN_SIZE)))
            return self._sink.getvalue()
        return self._sink.take()

    def close(self) -> None:
        """Release the codec without writing a trailer or returning bytes; safe to call again."""
        self._done = True
        if self._container is not None:
            if isinstance(self._sink, _Sink):
                self._sink.closed = True  # PyAV skips av_write_trailer for a closed file
            self._container.close()  # a whole file's trailer goes to a buffer nobody reads
            self._container = None

    def __del__(self) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._done:
            raise RuntimeError("this Encoder has finished or been closed")

    def _encode(self, pcm: np.ndarray) -> None:
        if len(pcm) == 0:
            return
        pcm = np.clip(pcm, -1.0, 1.0)  # resampling can overshoot full scale a little
        if self._container is None or self._stream is None:
            self._sink.write((pcm * 32767.0).round().astype("<i2").tobytes())
        else:
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="fltp", layout="mono")
            frame.sample_rate = self._rate
            frame.pts = self._samples_out
            frame.time_base = Fraction(1, self._rate)
            self._container.mux(self._stream.encode(frame))
        self._samples_out += len(pcm)


def _wav_header(rate: int) -> bytes:
    """A 16-bit mono RIFF/WAVE header whose RIFF and data sizes say 'unknown' (streaming)."""
    fmt_chunk = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", _UNKNOWN_SIZE)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt_chunk
        + b"data"
        + struct.pack("<I", _UNKNOWN_SIZE)
    )

"""Progressive encoding of audio arriving in pieces into one mp3/opus/aac/flac/wav/pcm stream."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
import soxr

from backend.audio.encode import mp3_rate

STREAM_FORMATS: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}

OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
PCM_SAMPLE_RATE = 24000  # OpenAI's raw PCM: 24 kHz, 16-bit signed little-endian, mono
_UNKNOWN_SIZE = 0xFFFFFFFF  # what streaming servers put in RIFF size fields of unknown length


@dataclass(frozen=True)
class _Codec:
    """How one format is muxed by PyAV: muxer, encoder, bit rate and muxer options."""

    muxer: str
    codec: str
    bit_rate: int | None = None
    options: dict[str, str] = field(default_factory=dict)


_CODECS: dict[str, _Codec] = {
    # Bare MPEG frames: no ID3v2 tag, and no Xing frame (it needs a seek back to fill in).
    "mp3": _Codec("mp3", "libmp3lame", 64000, {"id3v2_version": "0", "write_xing": "0"}),
    # Ogg pages of at most 100 ms (default 1 s), so little audio waits in an open page.
    "opus": _Codec("ogg", "libopus", 48000, {"page_duration": "100000"}),
    "aac": _Codec("adts", "aac", 64000),
    "flac": _Codec("flac", "flac"),
}


def stream_rate(fmt: str, sample_rate: int) -> int:
    """The sample rate (Hz) the stream of `fmt` carries for input at `sample_rate`.

    opus: the nearest rate Opus supports at or above the input (22050 -> 24000), at most 48000.
    pcm: always 24000, the rate OpenAI clients assume. mp3: the nearest MPEG layer III rate.
    wav, flac, aac: unchanged. Raises ValueError for an unknown format.
    """
    if fmt not in STREAM_FORMATS:
        raise ValueError(f"unknown stream format {fmt!r}; expected one of {sorted(STREAM_FORMATS)}")
    if fmt == "opus":
        return next((r for r in OPUS_SAMPLE_RATES if r >= sample_rate), OPUS_SAMPLE_RATES[-1])
    if fmt == "pcm":
        return PCM_SAMPLE_RATE
    if fmt == "mp3":
        return mp3_rate(sample_rate)
    return sample_rate


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


class StreamEncoder:
    """Encodes mono float32 audio arriving in pieces into one stream of `fmt` (see STREAM_FORMATS).

    feed() and finish() return the bytes ready so far (b"" while a codec is still buffering); all
    returned pieces concatenated are one valid stream that decodes to the concatenated audio,
    resampled to `rate`. Samples are clipped to [-1, 1]. Audio held back until the next feed or
    finish (measured): wav and pcm none; flac the unfilled part of one ~105 ms block; mp3 and aac
    the encoder's lookahead and a part frame, ~100-150 ms; opus the open Ogg page and the last full
    one (the muxer keeps it to flag end-of-stream), up to ~210 ms. Resampling adds ~30 ms. Neither
    mp3 nor aac can say how much priming to skip in a stream, so decoders play 1105 (mp3) or 1024
    (aac) samples of encoder delay first. An empty stream still decodes: wav is a bare header, pcm
    is b"", and codecs carry one silent sample. flac's STREAMINFO says 0 (unknown) total samples.
    Not thread-safe; one per response. close() (idempotent) frees the codec without more bytes.
    """

    def __init__(self, fmt: str, sample_rate: int) -> None:
        self._container: av.container.OutputContainer | None = None  # first: __del__ reads it
        self._rate = stream_rate(fmt, sample_rate)
        self._resampler = (
            soxr.ResampleStream(sample_rate, self._rate, 1, dtype="float32")
            if self._rate != sample_rate
            else None
        )
        self._samples_out = 0
        self._done = False
        self._sink = _Sink()
        self._stream: av.audio.stream.AudioStream | None = None
        codec = _CODECS.get(fmt)
        if codec is not None:
            # flush_packets: drain ffmpeg's AVIO buffer after each packet (else it holds 32 KiB).
            options = {"flush_packets": "1", **codec.options}
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
        """The sample rate (Hz) of the stream: stream_rate(fmt, sample_rate)."""
        return self._rate

    def feed(self, samples: np.ndarray) -> bytes:
        """Encode the next piece of audio; return the stream bytes now ready (maybe b"")."""
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
        return self._sink.take()

    def close(self) -> None:
        """Release the codec without writing a trailer or returning bytes; safe to call again."""
        self._done = True
        if self._container is not None:
            self._sink.closed = True  # PyAV skips av_write_trailer for a closed file
            self._container.close()
            self._container = None

    def __del__(self) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._done:
            raise RuntimeError("this StreamEncoder has finished or been closed")

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

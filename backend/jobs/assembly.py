"""Final narration: scenes streamed into one file with fades and pauses, each scene brought to the
same loudness, and chapter markers where chapters start. Memory stays at one scene at a time,
so a 100-page book (hours of audio) assembles in a few MB."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import soundfile as sf
import soxr

from backend.audio.assemble import fade_edges
from backend.core import atomic
from backend.core.speech import Audio
from backend.jobs.mastering import master_in_place

log = logging.getLogger(__name__)

TARGET_LUFS = -19.0  # spoken-word target for mono speech
PEAK_CEILING = 0.98
MP3_BLOCK = 1 << 16


def normalise_loudness(audio: Audio, target_lufs: float = TARGET_LUFS) -> Audio:
    """Integrated loudness (ITU-R BS.1770) to `target_lufs`, peaks kept under the ceiling.

    Clips shorter than the meter's 400 ms block, or silent ones, are returned unchanged.
    """
    if len(audio.samples) < int(0.5 * audio.sample_rate) or not np.any(audio.samples):
        return audio
    loudness = pyloudnorm.Meter(audio.sample_rate).integrated_loudness(
        audio.samples.astype(np.float64)
    )
    if not np.isfinite(loudness):
        return audio
    gain = 10 ** ((target_lufs - loudness) / 20)
    peak = float(np.max(np.abs(audio.samples))) * gain
    if peak > PEAK_CEILING:
        gain *= PEAK_CEILING / peak
    return Audio((audio.samples * gain).astype(np.float32), audio.sample_rate)


def assemble(
    scenes: list[dict[str, Any]],
    out_path: Path,
    crossfade_ms: float,
    pause_ms: float,
    rate: int | None = None,
    mastering: str = "standard",
) -> tuple[float, list[dict[str, Any]], dict[int, float]]:
    """Write the scenes' audio (dicts with audio_path, chapter, idx) in order to a WAV file at
    `rate` (default: the first scene's), resampling any scene spoken at another rate (a job
    resumed under another engine), so nothing plays off-speed. The file is fsynced before it
    takes its name.

    Returns the duration in seconds, the chapter markers [{title, start_seconds, scene}] and
    where each scene starts (idx -> seconds), all positions in the file as written (counted in
    samples, so an hour of pauses does not drift).
    mastering="audiobook" masters the file before it takes its name (backend.jobs.mastering:
    room tone, RMS, gate, true-peak limit), the markers and scene starts moved with it.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic.temp_beside(out_path)
    chapters: list[dict[str, Any]] = []
    starts: dict[int, float] = {}
    written = 0  # samples
    output: sf.SoundFile | None = None
    try:
        for number, scene in enumerate(scenes):
            samples, scene_rate = sf.read(scene["audio_path"], dtype="float32", always_2d=False)
            rate = rate or scene_rate
            if scene_rate != rate:
                samples = soxr.resample(samples, scene_rate, rate).astype(np.float32)
            if output is None:
                output = sf.SoundFile(tmp, "w", rate, 1, "PCM_16", format="WAV")
            elif number:
                pause = np.zeros(round(rate * pause_ms / 1000), dtype=np.float32)
                output.write(pause)
                written += len(pause)
            position = written / rate
            starts[scene["idx"]] = round(position, 3)
            if scene.get("chapter") and (not chapters or chapters[-1]["title"] != scene["chapter"]):
                chapters.append(
                    {
                        "title": scene["chapter"],
                        "start_seconds": round(position, 3),
                        "scene": scene["idx"],
                    }
                )
            part = normalise_loudness(Audio(samples, rate))
            output.write(fade_edges(part, crossfade_ms, number > 0, number < len(scenes) - 1))
            written += len(part.samples)
    except BaseException:
        if output is not None:
            output.close()
        tmp.unlink(missing_ok=True)
        raise
    if output is not None:
        output.close()
    seconds = written / rate if rate else 0.0
    if mastering == "audiobook" and output is not None:
        try:
            seconds, chapters, shift = master_in_place(tmp, chapters)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        starts = {idx: round(shift(start), 3) for idx, start in starts.items()}
    atomic.publish(tmp, out_path)
    return seconds, chapters, starts


def encode_mp3(wav_path: Path, out: Path) -> None:
    """Encode the narration WAV as MP3 into `out`, block by block (memory stays flat);
    backend.jobs.outputs makes it once and publishes it atomically."""
    with (
        sf.SoundFile(wav_path) as source,
        sf.SoundFile(out, "w", source.samplerate, 1, format="MP3") as target,
    ):
        for block in source.blocks(blocksize=MP3_BLOCK, dtype="float32"):
            target.write(block)

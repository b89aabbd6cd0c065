"""TEST FAKE of `chatterbox.tts_turbo` (0.1.7 signatures): the fake ChatterboxTTS with Turbo's
files, its > 5 s assert on the reference, and a generate that takes no guidance or emotion."""

from __future__ import annotations

import soundfile as sf

from .tts import ChatterboxTTS, Conditionals, T3Cond

__all__ = ["ChatterboxTurboTTS", "Conditionals", "T3Cond"]

REQUIRED_FILES = (
    "ve.safetensors",
    "t3_turbo_v1.safetensors",
    "s3gen_meanflow.safetensors",
    "vocab.json",
    "merges.txt",
)


class ChatterboxTurboTTS(ChatterboxTTS):
    required_files = REQUIRED_FILES

    def prepare_conditionals(self, wav_fpath, exaggeration=0.5, norm_loudness=True) -> None:
        info = sf.info(str(wav_fpath))
        assert info.duration > 5.0, "Audio prompt must be longer than 5 seconds!"
        super().prepare_conditionals(wav_fpath, exaggeration)

    def generate(self, text, temperature=0.8, exaggeration=0.0, cfg_weight=0.0, **kwargs):
        # Upstream logs and ignores guidance and emotion: the fake records what it was given.
        wav = super().generate(text, temperature=temperature, exaggeration=exaggeration)
        self.last_generate_kwargs = {"temperature": temperature, "cfg_weight": cfg_weight}
        return wav

"""TEST FAKE of `chatterbox.vc` (0.1.7 signatures): re-speaks a recording as a sine at the target
voice's frequency, with the recording's length."""

from __future__ import annotations

import numpy as np
import perth
import soundfile as sf
import torch

S3GEN_SR = 24000


class ChatterboxVC:
    def __init__(self, s3gen, device, ref_dict=None):
        self.sr = S3GEN_SR
        self.s3gen = s3gen
        self.device = device
        self.ref_dict = ref_dict
        self.watermarker = perth.PerthImplicitWatermarker()

    def generate(self, audio, target_voice_path=None) -> torch.Tensor:
        assert self.ref_dict is not None, "Please `prepare_conditionals` first"
        wav, sr = sf.read(audio, dtype="float32", always_2d=True)
        n = round(len(wav) * self.sr / sr)
        t = np.arange(n) / self.sr
        out = 0.5 * np.sin(2 * np.pi * float(self.ref_dict["embedding"][0]) * t)
        out = self.watermarker.apply_watermark(out.astype(np.float32), sample_rate=self.sr)
        return torch.from_numpy(np.asarray(out, dtype=np.float32)).unsqueeze(0)

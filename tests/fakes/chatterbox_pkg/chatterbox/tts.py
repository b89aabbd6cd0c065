"""TEST FAKE of `chatterbox.tts` (0.1.7 signatures), small enough to read in a minute.

A "voice embedding" is the dominant frequency (Hz) and RMS of the reference clip. `generate`
returns a sine at the current conditionals' frequency, so the dominant frequency of the output
tells which voice spoke. Output length grows with the text (50 ms per character). Class-level
counters let tests assert that a voice was not embedded or loaded again.

Like upstream, the T3 conditionals are a dataclass holding `emotion_adv`, `generate` rebuilds
them in float32 when the exaggeration differs, and feeds `emotion_adv` through a Linear layer of
`t3`, so a bfloat16 `t3` with float32 conditionals fails as upstream does. `oom_over_chars` makes
generate raise CUDA out-of-memory for longer texts (set it on the class).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import perth
import soundfile as sf
import torch

S3GEN_SR = 24000
REQUIRED_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
SECONDS_PER_CHAR = 0.05


@dataclass
class T3Cond:
    """speaker_emb: (1, 2) = [frequency Hz, rms]; emotion_adv: (1, 1, 1) exaggeration."""

    speaker_emb: torch.Tensor
    clap_emb: torch.Tensor | None = None
    cond_prompt_speech_tokens: torch.Tensor | None = None
    cond_prompt_speech_emb: torch.Tensor | None = None
    emotion_adv: torch.Tensor = field(default_factory=lambda: 0.5 * torch.ones(1, 1, 1))

    def to(self, *, device=None, dtype=None):
        for key, value in self.__dict__.items():
            if torch.is_tensor(value):
                keep = not value.dtype.is_floating_point
                setattr(self, key, value.to(device=device, dtype=None if keep else dtype))
        return self


@dataclass
class Conditionals:
    """t3: T3Cond; gen: {"embedding": (2,)}. Embedding = [frequency Hz, rms]."""

    t3: T3Cond
    gen: dict

    load_calls = 0  # class-level: Conditionals.load calls since import

    @property
    def frequency(self) -> float:
        return float(self.gen["embedding"][0])

    def to(self, device):
        self.t3 = self.t3.to(device=device)
        self.gen = {k: v.to(device=device) for k, v in self.gen.items()}
        return self

    def save(self, fpath: Path) -> None:
        torch.save({"t3": self.t3.__dict__, "gen": self.gen}, fpath)

    @classmethod
    def load(cls, fpath, map_location="cpu") -> Conditionals:
        cls.load_calls += 1
        if isinstance(map_location, str):
            map_location = torch.device(map_location)
        data = torch.load(fpath, map_location=map_location, weights_only=True)
        return cls(T3Cond(**data["t3"]), data["gen"])

    @classmethod
    def from_frequency(cls, hz: float, rms: float = 0.35) -> Conditionals:
        emb = torch.tensor([hz, rms], dtype=torch.float32)
        return cls(T3Cond(speaker_emb=emb.unsqueeze(0)), {"embedding": emb.clone()})


class _Parts(torch.nn.Module):
    """Stand-ins for `model.t3` and `model.s3gen.flow.decoder.estimator`: one tiny layer each."""

    def __init__(self, **children: torch.nn.Module):
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)


class ChatterboxTTS:
    DEC_COND_LEN = 10 * S3GEN_SR
    required_files = REQUIRED_FILES

    prepare_calls = 0  # class-level: prepare_conditionals calls since import
    oom_over_chars: int | None = None  # class-level: generate runs out of memory above this
    last_instance: weakref.ref | None = None

    def __init__(self, device: str, conds: Conditionals | None = None):
        self.sr = S3GEN_SR
        self.device = device
        self.conds = conds
        self.watermarker = perth.PerthImplicitWatermarker()
        self.last_generate_kwargs: dict = {}
        self.generated_texts: list[str] = []
        self.t3 = _Parts(emotion_adv_fc=torch.nn.Linear(1, 1, bias=False))
        estimator = torch.nn.Linear(1, 1)
        self.s3gen = _Parts(flow=_Parts(decoder=_Parts(estimator=estimator)))
        ChatterboxTTS.last_instance = weakref.ref(self)  # for subclasses (Turbo...) too

    @classmethod
    def from_local(cls, ckpt_dir, device) -> ChatterboxTTS:
        ckpt_dir = Path(ckpt_dir)
        for name in cls.required_files:
            if not (ckpt_dir / name).exists():
                raise FileNotFoundError(f"No such file: '{ckpt_dir / name}'")
        conds = None
        if (builtin := ckpt_dir / "conds.pt").exists():
            conds = Conditionals.load(builtin, map_location="cpu").to(device)
        return cls(device, conds=conds)

    @classmethod
    def from_pretrained(cls, device) -> ChatterboxTTS:
        raise AssertionError("the fake never downloads: from_pretrained must not be called")

    def prepare_conditionals(self, wav_fpath, exaggeration=0.5) -> None:
        type(self).prepare_calls += 1
        wav, sr = sf.read(wav_fpath, dtype="float32", always_2d=True)
        wav = wav.mean(axis=1)[: 10 * sr]
        spectrum = np.abs(np.fft.rfft(wav))
        hz = float(np.fft.rfftfreq(len(wav), 1 / sr)[int(spectrum.argmax())])
        rms = float(np.sqrt(np.mean(wav**2)))
        self.conds = Conditionals.from_frequency(hz, rms).to(self.device)

    def generate(
        self,
        text,
        repetition_penalty=1.2,
        min_p=0.05,
        top_p=1.0,
        audio_prompt_path=None,
        exaggeration=0.5,
        cfg_weight=0.5,
        temperature=0.8,
    ) -> torch.Tensor:
        self.last_text = text
        self.last_generate_kwargs = {
            "exaggeration": exaggeration,
            "cfg_weight": cfg_weight,
            "temperature": temperature,
        }
        if audio_prompt_path:
            self.prepare_conditionals(audio_prompt_path, exaggeration=exaggeration)
        assert self.conds is not None, "Please `prepare_conditionals` first"
        if exaggeration != self.conds.t3.emotion_adv[0, 0, 0]:  # as upstream: rebuilt in fp32
            old = self.conds.t3
            self.conds.t3 = T3Cond(
                speaker_emb=old.speaker_emb,
                cond_prompt_speech_tokens=old.cond_prompt_speech_tokens,
                emotion_adv=exaggeration * torch.ones(1, 1, 1),
            ).to(device=self.device)
        with torch.inference_mode():  # a bf16 layer given fp32 input raises, as upstream's does
            self.t3.emotion_adv_fc(self.conds.t3.emotion_adv.view(-1, 1))
        limit = type(self).oom_over_chars
        if limit is not None and len(text) > limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB")
        self.generated_texts.append(text)
        if not cfg_weight > 0.0:
            # Upstream skips doubling the text batch for CFG, then T3 indexes the missing half.
            raise IndexError("index 1 is out of bounds for dimension 0 with size 1")
        n = max(int(self.sr * SECONDS_PER_CHAR * len(text)), self.sr // 4)
        t = torch.arange(n, dtype=torch.float64) / self.sr
        wav = 0.5 * torch.sin(2 * torch.pi * self.conds.frequency * t)
        wav = wav + 0.01 * temperature * (torch.rand(n, dtype=torch.float64) - 0.5)
        wav = wav.float().numpy()
        watermarked = self.watermarker.apply_watermark(wav, sample_rate=self.sr)
        return torch.from_numpy(np.asarray(watermarked, dtype=np.float32)).unsqueeze(0)

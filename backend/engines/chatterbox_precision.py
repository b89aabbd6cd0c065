"""Chatterbox numeric precision: full fp32, or the low-VRAM mode for 6-8 GB cards.

Low-VRAM mode halves the weights that dominate memory and time without touching what breaks in
half precision: T3 (the 0.5 B-parameter Llama) in bfloat16 together with its conditionals, the
S3Gen flow decoder (the estimator run 10 Euler steps x 2 for guidance) in float16 on CUDA (bfloat16
on a CPU, where float16 convolutions are missing or slow), and the HiFT vocoder, the voice encoder
and the speech tokenizer in float32. Upstream's own CFM casts its inputs to the estimator's dtype
and back, so only the estimator's weights change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

LOW_VRAM_MAX_BYTES = 8 * 1024**3  # "auto" turns the mode on for cards reporting <= 8 GiB
ALLOC_CONF = "expandable_segments:True"  # fewer fragmentation OOMs on small cards


@dataclass(frozen=True)
class Precision:
    """Names of torch dtypes per part; `low_vram` says which mode they came from."""

    low_vram: bool
    t3: str = "float32"
    flow: str = "float32"
    vocoder: str = "float32"

    def describe(self) -> dict[str, Any]:
        return {
            "low_vram": self.low_vram,
            "t3": self.t3,
            "flow": self.flow,
            "vocoder": self.vocoder,
        }


def choose(setting: str, device: str, total_vram: int | None) -> Precision:
    """The precision for `setting` ("auto", "on", "off") on `device` with `total_vram` bytes."""
    low = setting == "on" or (
        setting == "auto"
        and device == "cuda"
        and total_vram is not None
        and total_vram <= LOW_VRAM_MAX_BYTES
    )
    if not low:
        return Precision(low_vram=False)
    return Precision(
        low_vram=True, t3="bfloat16", flow="float16" if device == "cuda" else "bfloat16"
    )


def apply(model: Any, precision: Precision) -> None:
    """Cast a loaded ChatterboxTTS's parts in place; the built-in voice is cast by `fit_conds`."""
    import torch

    model.t3.to(dtype=getattr(torch, precision.t3))
    model.s3gen.flow.decoder.estimator.to(dtype=getattr(torch, precision.flow))


def fit_conds(conds: Any, precision: Precision) -> Any:
    """Cast a voice's T3 conditionals to T3's dtype (ids stay integers); returns `conds`."""
    import torch

    conds.t3.to(dtype=getattr(torch, precision.t3))
    return conds


def call_conds(conds: Any, exaggeration: float, precision: Precision) -> tuple[Any, float]:
    """Conditionals for one generate call at `exaggeration`, and the exaggeration to pass.

    Upstream's generate rebuilds the T3 conditionals in float32 whenever the requested exaggeration
    differs from the stored one, which would break a bfloat16 T3, and it writes the rebuild into
    the cached voice. So the emotion tensor is made here, in T3's dtype, on a per-call copy that
    shares every other tensor; the returned exaggeration is that tensor's exact value, so generate
    sees no difference and rebuilds nothing.
    """
    import torch

    current = conds.t3.emotion_adv
    emotion = torch.full(
        (1, 1, 1), exaggeration, dtype=getattr(torch, precision.t3), device=current.device
    )
    value = float(emotion.view(-1)[0])
    if torch.is_tensor(current) and float(current.view(-1)[0]) == value:
        return conds, value
    return type(conds)(replace(conds.t3, emotion_adv=emotion), conds.gen), value

"""Request bodies of the API (responses are plain dicts documented in the README)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.engines.base import SynthesisParams

AudioFormat = Literal["wav", "mp3", "ogg", "flac"]


class TTSRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="What to say. Longer texts are split at sentence boundaries.")
    voice: str | None = Field(None, description="Library id or name, alias, or 'builtin'.")
    rate: float = Field(1.0, ge=0.25, le=4.0, description="Speaking speed; 1.0 is normal.")
    format: AudioFormat = "wav"
    exaggeration: float = Field(0.5, ge=0.0, le=2.0, description="Chatterbox emotion intensity.")
    cfg_weight: float = Field(0.5, ge=0.0, le=1.0, description="Chatterbox pacing/adherence.")
    temperature: float = Field(0.8, ge=0.05, le=5.0)
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="Fixed seed for repeatable takes."
    )

    def params(self) -> SynthesisParams:
        return SynthesisParams(
            rate=self.rate,
            exaggeration=self.exaggeration,
            cfg_weight=self.cfg_weight,
            temperature=self.temperature,
            seed=self.seed,
        )


class LoadVoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voice_id: str | None = Field(None, max_length=200)
    path: str | None = Field(None, max_length=4096)

    @model_validator(mode="after")
    def exactly_one(self) -> LoadVoiceRequest:
        if (self.voice_id is None) == (self.path is None):
            raise ValueError("give exactly one of voice_id or path")
        return self

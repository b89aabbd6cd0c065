"""A scene's takes (/jobs/{id}/scenes/{n}/takes): edits, re-takes, the takes kept, the choice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import ResponseBody
from backend.api.schemas_jobs import Scene

MAX_SCENE_TEXT = 20_000  # a bound on the body; the engine's own scene length is checked too


class SceneParams(BaseModel):
    """A scene's own synthesis settings, over the job's; a setting left out is the job's."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Fixed seed for this scene.")
    exaggeration: float | None = Field(None, ge=0.0, le=2.0)
    cfg_weight: float | None = Field(None, ge=0.0, le=1.0)
    temperature: float | None = Field(None, ge=0.05, le=5.0)
    rate: float | None = Field(None, ge=0.25, le=4.0)

    def given(self) -> dict[str, float | int]:
        """Only the settings given a value (null or absent: the job's)."""
        return self.model_dump(exclude_none=True)


class SceneEdit(BaseModel):
    """PATCH /jobs/{id}/scenes/{n} and POST .../takes: a new text and/or new own settings
    (`params` replaces the scene's own settings; {} goes back to the job's)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=MAX_SCENE_TEXT)
    params: SceneParams | None = None


class TakeChoice(BaseModel):
    """PUT /jobs/{id}/scenes/{n}/take."""

    model_config = ConfigDict(extra="forbid")

    take: int = Field(ge=1, le=2**63 - 1, description="The number of a kept take.")


class TakeInfo(ResponseBody):
    """One kept take of a scene. Times are ISO 8601 UTC."""

    number: int
    reason: Literal["first", "edit", "regenerate", "stale", "check"]
    text: str
    spoken_text: str | None
    params: dict[str, float | int]
    duration_seconds: float | None
    engine_seconds: float | None
    wer: float | None = Field(description="Word error rate Whisper heard (null: not checked).")
    similarity: float | None = Field(description="Its similarity to the job's voice.")
    created_at: str
    chosen: bool


class SceneTakes(ResponseBody):
    """GET /jobs/{id}/scenes/{n}/takes: the takes kept, oldest first."""

    idx: int
    chosen: int | None = Field(description="The number of the chosen take.")
    pending: int = Field(description="Re-takes queued and not yet made.")
    takes: list[TakeInfo]


class TakeQueued(ResponseBody):
    """POST /jobs/{id}/scenes/{n}/takes: the re-take queued (null: the scene had no audio yet,
    so it is simply spoken with its text now), and the scene."""

    request: int | None
    scene: Scene


class StaleQueued(ResponseBody):
    """POST /jobs/{id}/scenes/stale/takes: re-takes queued, one a stale scene."""

    queued: int

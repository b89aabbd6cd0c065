"""The job queue's requests and answers (/jobs/queue, /jobs/{id}/pause, /jobs/pause-all, ...)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import ResponseBody
from backend.api.schemas_model import ModelUnload


class QueueOrder(BaseModel):
    """PUT /jobs/queue: unfinished job ids, first to run first; jobs left out follow them."""

    model_config = ConfigDict(extra="forbid")

    order: list[str] = Field(min_length=1, max_length=10_000)


class PausedAll(ResponseBody):
    """POST /jobs/pause-all: the jobs this paused, and what unloading the model freed."""

    paused: int = Field(description="Unfinished jobs this call paused (not those already paused).")
    unload: ModelUnload


class ResumedAll(ResponseBody):
    """POST /jobs/resume-all: the paused jobs this let run again."""

    resumed: int

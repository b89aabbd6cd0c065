"""The worker routes' requests and answers (/workers/claim, /workers/leases/{id}/...)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import ResponseBody

NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"  # host names, pids, pod names


class ClaimRequest(BaseModel):
    """POST /workers/claim: who asks, and which engine it speaks with."""

    model_config = ConfigDict(extra="forbid")

    worker: str = Field(min_length=1, max_length=100, pattern=NAME)
    engine: str = Field(min_length=1, max_length=40, pattern=NAME)


class FailRequest(BaseModel):
    """POST /workers/leases/{lease}/fail: why the worker could not speak the scene."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    message: str = Field(min_length=1, max_length=500)


class FailedPublic(ResponseBody):
    failed: bool


class VoicePublic(ResponseBody):
    kind: str = Field(description="builtin, engine (one of the engine's own) or clip")
    id: str | None = None
    sha256: str | None = Field(None, description="A clip's SHA-256: fetch it once per worker.")
    language: str | None = None


class ClaimPublic(ResponseBody):
    """A scene to speak, under a lease that must be renewed before `deadline`."""

    lease: str
    job_id: str
    idx: int
    text: str = Field(description="The scene as it is to be spoken (lexicon, numbers applied).")
    params: dict[str, float | int | str | None]
    model: str
    voice: VoicePublic
    lease_seconds: float
    deadline: float = Field(description="Unix seconds; renew every third of lease_seconds.")


class LeasePublic(ResponseBody):
    deadline: float
    lease_seconds: float


class SubmittedPublic(ResponseBody):
    job_id: str
    idx: int
    take: int


class ReleasedPublic(ResponseBody):
    released: bool


class WorkerPublic(ResponseBody):
    name: str
    engine: str | None
    scenes: int = Field(description="Scenes it completed since the server started.")
    last_seen: float | None = Field(None, description="Unix seconds.")
    leases: int = Field(description="Scenes it holds now.")


class WorkerList(ResponseBody):
    enabled: bool = Field(
        description="Whether workers can connect: false without CHATTERBOX_WORKER_TOKEN."
    )
    workers: list[WorkerPublic]

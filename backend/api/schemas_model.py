"""The model's state (GET /model/status, POST /model/load) and what an unload freed."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from backend.api.schemas import ErrorBody, ResponseBody
from backend.engines.model_state import ModelState


class EngineHostStatus(ResponseBody):
    """The engine's host process (backend.engines.host): the model lives there, not here."""

    pid: int | None = Field(description="The host's process id; null when no host runs.")
    rss_bytes: int | None = Field(description="The host's resident memory; null when none runs.")
    starts: int = Field(description="Hosts this server has started (a restart adds one).")
    last_exit: str | None = Field(
        description="How the last host ended: 'unloaded', 'killed by SIGKILL', a deadline..."
    )


class ModelSwitch(ResponseBody):
    """One change of model: from, to, when it began and (once done) how long it took."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    since: str | None = None
    at: str | None = None
    seconds: float | None = None


class ModelReport(ResponseBody):
    """What the manager says of the model; /health and /model/status both carry it.

    Tolerant (extra="allow"): the manager may report more (an engine host's pid, its restarts)
    before this model names it. Name a new key here so the document shows it.
    """

    model_config = ConfigDict(extra="allow")

    state: ModelState
    model_loaded: bool
    engine: str = Field(description="chatterbox, piper or fake.")
    device: str = Field(description="cuda, mps or cpu.")
    in_flight: int = Field(description="Model calls running or queued now.")
    keep_alive: float = Field(
        description="Seconds the model stays loaded when idle; below 0 forever, 0 not at all."
    )
    expires_at: str | None = Field(description="ISO 8601 UTC time of the idle unload, if due.")
    expires_in: float | None = Field(description="Seconds until the idle unload, if due.")
    last_error: ErrorBody | None = Field(
        description="Why the last load or call failed (engine_fault: the host died under it)."
    )
    engine_host: EngineHostStatus | None = Field(
        None, description="The engine's process; null when the engine runs in the server."
    )
    model: str | None = Field(
        None, description="The loaded model (or the next to load): original, turbo, ..."
    )
    model_switch: Literal["on", "off"] | None = Field(
        None, description="on: a request naming another model switches to it; off: 409."
    )
    switching: ModelSwitch | None = Field(None, description="A switch under way, if any.")
    last_switch: ModelSwitch | None = Field(None, description="The last switch, when done.")
    switches: int | None = Field(None, description="Switches since the server started.")


class ModelStatus(ModelReport):
    """GET /model/status and POST /model/load: the state, and the memory in use now (bytes)."""

    rss_bytes: int = Field(description="This process's resident memory.")
    vram_allocated_bytes: int | None = Field(description="null without a GPU or a loaded model.")
    vram_reserved_bytes: int | None
    vram_free_bytes: int | None = Field(description="The whole device's, on a GPU.")
    vram_total_bytes: int | None


class MemoryReading(ResponseBody):
    """Memory at one moment, in bytes (null where there is no GPU)."""

    model_config = ConfigDict(extra="allow")  # a host process may add its own figures

    rss_bytes: int | None
    host_rss_bytes: int | None = Field(
        None, description="The engine host's resident memory (0 once it has ended)."
    )
    vram_allocated_bytes: int | None
    vram_reserved_bytes: int | None
    vram_device_used_bytes: int | None = Field(
        None, description="The whole card's memory in use, every program's (nvidia-smi)."
    )


class ModelUnload(ResponseBody):
    """POST /model/unload: whether a model was loaded, and memory before, after and freed."""

    model_config = ConfigDict(extra="allow")

    unloaded: bool = Field(description="False when no model was loaded (still a success).")
    engine: str
    before: MemoryReading
    after: MemoryReading
    freed: MemoryReading = Field(description="before minus after; may be negative.")

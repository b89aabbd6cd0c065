"""GET /health: the full answer, the outline a caller without the token gets, and the 503."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from backend.api.schemas import ErrorBody, ResponseBody
from backend.api.schemas_model import ModelReport


class Limits(ResponseBody):
    """What a client may send: upload size, text lengths, clip seconds and PDF pages."""

    max_upload_bytes: int
    max_upload_mb: float
    max_text_chars: int = Field(description="Longest text of one /tts or /v1 request.")
    max_job_chars: int = Field(description="Longest text of one narration job.")
    voice_min_seconds: float
    voice_max_seconds: float
    max_pdf_pages: int


class Memory(ResponseBody):
    """Memory in use, in bytes; the VRAM figures are null without a GPU or a loaded model."""

    rss_bytes: int
    vram_allocated_bytes: int | None
    vram_reserved_bytes: int | None
    vram_free_bytes: int | None
    vram_total_bytes: int | None
    ram_total_bytes: int
    ram_available_bytes: int


class ModelEntry(ResponseBody):
    """One model of the catalog: its key, its real name, a title, and whether it is loaded."""

    key: str
    id: str
    title: str
    resident: bool


class Health(ModelReport):
    """The whole answer, for a caller with the token (or any caller when there is none).

    Beside the keys named here come the engine's own (ModelManager.info(): Chatterbox's weights
    and precision, Piper's voice files, ...), which differ per engine.
    """

    model_config = ConfigDict(extra="allow")

    status: Literal["healthy"]
    can_clone: bool
    has_builtin_voice: bool
    models: list[ModelEntry] = Field(
        default_factory=list, description="Every model a request may name (and switch to)."
    )
    tags: list[str] = Field(
        default_factory=list,
        description="Bracketed tags the loaded model speaks ([laugh], ...); others are removed.",
    )
    languages: list[str] = Field(default_factory=list, description="Codes the model speaks.")
    ignored_params: list[str] = Field(
        default_factory=list, description="Knobs the model accepts and ignores (Turbo: cfg)."
    )
    min_reference_seconds: float = Field(
        0.0, description="A voice's clip must be longer than this for the model."
    )
    can_convert_voice: bool = Field(False, description="POST /voice-conversion works.")
    sample_rate: int = Field(description="Hz of the engine's audio.")
    memory: Memory
    limits: Limits


class HealthOutline(ResponseBody):
    """The answer to a caller without the token when the server has one: no paths, no figures."""

    status: Literal["healthy", "unavailable"]
    model_loaded: bool
    limits: Limits


class HealthNotSetUp(ErrorBody):
    """503: the engine's libraries or model files are missing (environment_not_setup)."""

    engine: str
    limits: Limits


HEALTH_RESPONSES: dict[int | str, dict] = {
    503: {
        "model": HealthNotSetUp | HealthOutline,
        "description": "Set-up incomplete: the error with the engine and the limits, or (to a "
        "caller without the token) the outline with status unavailable",
    }
}

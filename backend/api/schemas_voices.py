"""The voice library's answers (/voices, /load_voice, /load_voice_upload) and its edit body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import ResponseBody


class Voice(ResponseBody):
    """A library voice's public metadata (its meta.json).

    Tolerant (extra="allow", and the clip's facts optional): meta.json is a file on disk that an
    older or newer server may have written; routes send only the keys it holds.
    """

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The name's slug plus 8 hex digits.")
    name: str
    created_at: str = Field(description="ISO 8601 UTC.")
    duration_seconds: float = Field(description="Speech in the clip after trimming silence.")
    sample_rate: int = Field(description="Hz of the stored reference.wav.")
    path: str = Field(description="The clip, relative to the voices folder (for /load_voice).")
    source_filename: str | None = None
    original_sample_rate: int | None = None
    channels: int | None = None
    format: str | None = Field(None, description="The upload's container: wav, mp3, ...")
    trimmed_seconds: float | None = None
    gain_db: float | None = None
    language: str | None = Field(None, description="What the clip speaks (ISO 639-1), if said.")


class EngineVoice(ResponseBody):
    """One of the engine's own voices (a Piper voice model), selectable by id."""

    id: str
    name: str


class VoiceList(ResponseBody):
    """GET /voices."""

    voices: list[Voice] = Field(description="The library, oldest first.")
    current: str | None = Field(description="The current voice's id (null: none).")
    current_warning: str | None = Field(
        description="Why the engine cannot speak the current voice (X-Voice-Warning's words)."
    )
    builtin_available: bool
    engine_voices: list[EngineVoice]
    can_clone: bool
    aliases: dict[str, str] = Field(description="Alias name to voice id or name.")


class VoiceDeleted(ResponseBody):
    """DELETE /voices/{id}: the id deleted and the current voice afterwards."""

    deleted: str
    current: str | None


class CurrentVoice(ResponseBody):
    """POST /load_voice and /load_voice_upload: the new current voice."""

    current: str
    voice: Voice


class CurrentCleared(ResponseBody):
    """DELETE /load_voice."""

    current: None


class VoiceUpdate(BaseModel):
    """PATCH /voices/{id}: a new name and/or language. A field left out (or a null name) keeps
    its value; a null language clears it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=100, examples=["Grandma Rose"])
    language: str | None = Field(
        None, max_length=10, description="What the clip speaks (ISO 639-1); null: not said."
    )

    def changes(self) -> dict[str, str | None]:
        """The fields to change: a name given, and the language if it was sent (null too)."""
        changes: dict[str, str | None] = {} if self.name is None else {"name": self.name}
        if "language" in self.model_fields_set:
            changes["language"] = self.language
        return changes

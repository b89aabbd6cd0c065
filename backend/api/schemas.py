"""Request bodies and the error body of the API; the 2xx bodies are in schemas_<resource>.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.core.speech import SynthesisParams

# The formats of backend/audio/encode.py's FORMATS, which /tts and /v1 both offer.
AudioFormat = Literal["wav", "mp3", "ogg", "opus", "aac", "flac", "pcm"]
SpeechFormat = AudioFormat


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
    model: str | None = Field(
        None,
        max_length=100,
        description="original, turbo, multilingual (or their real names, GET /v1/models); "
        "another model than the loaded one is switched to first. Default: the loaded one.",
    )
    language: str | None = Field(
        None,
        max_length=10,
        description="The text's language (ISO 639-1, e.g. de) for the Multilingual model.",
    )

    def params(self) -> SynthesisParams:
        return SynthesisParams(
            rate=self.rate,
            exaggeration=self.exaggeration,
            cfg_weight=self.cfg_weight,
            temperature=self.temperature,
            seed=self.seed,
            language=self.language,
        )


class VoiceId(BaseModel):
    """OpenAI's custom-voice reference, {"id": ...}: here a library voice's id or name."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=200)


class SpeechRequest(BaseModel):
    """OpenAI's speech request (POST /v1/audio/speech), field for field."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        max_length=200,
        description="tts-1, tts-1-hd, gpt-4o-mini-tts (the loaded model), or a model of this "
        "server by name (GET /v1/models): chatterbox, chatterbox-turbo, "
        "chatterbox-multilingual, piper.",
    )
    input: str = Field(description="What to say. Longer texts are split at sentence boundaries.")
    voice: str | VoiceId = Field(
        description="Library id or name, alias, 'builtin', or an OpenAI voice name (alloy, "
        'echo, ...), which speaks in the server\'s current voice; or {"id": ...}.',
    )
    response_format: SpeechFormat = Field(
        "mp3", description="pcm is raw 16-bit little-endian mono at 24 kHz (X-Sample-Rate)."
    )
    speed: float = Field(1.0, ge=0.25, le=4.0, description="Speaking speed; 1.0 is normal.")
    stream_format: Literal["audio", "sse"] = Field(
        "audio",
        description="audio: the file's bytes, sent as each sentence is ready; sse: "
        "speech.audio.delta events (base64) and a final speech.audio.done.",
    )
    language: str | None = Field(
        None,
        max_length=10,
        description="Extension: the text's language (ISO 639-1) for the Multilingual model.",
    )
    instructions: str | None = Field(
        None,
        max_length=4096,
        description="Accepted for compatibility and not used: Chatterbox and Piper take no "
        "style instructions.",
    )

    @property
    def voice_name(self) -> str:
        return self.voice.id if isinstance(self.voice, VoiceId) else self.voice


class LoadVoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voice_id: str | None = Field(None, max_length=200)
    path: str | None = Field(None, max_length=4096)

    @model_validator(mode="after")
    def exactly_one(self) -> LoadVoiceRequest:
        if (self.voice_id is None) == (self.path is None):
            raise ValueError("give exactly one of voice_id or path")
        return self


class ResponseBody(BaseModel):
    """Base of every 2xx body: a key the route sends that the model does not name fails the
    response (FastAPI validates it), so the document and the answers cannot drift apart."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error the API returns: a stable code, what happened, and what to do about it."""

    model_config = ConfigDict(extra="allow")  # some errors add a field (available_voices, ...)

    error: str = Field(description="Stable machine-readable code, e.g. voice_not_found.")
    message: str = Field(description="What went wrong, in words a person can act on.")
    solution: str = Field(description="What to do about it.")


class OpenAIError(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str
    type: str = Field(description="invalid_request_error, authentication_error, ...")
    param: str | None = Field(None, description="The request field at fault, if one is.")
    code: str = Field(description="The same stable code as the rest of the API uses.")
    solution: str = Field(description="What to do about it.")


class OpenAIErrorBody(BaseModel):
    """Errors of the /v1 routes, in OpenAI's envelope."""

    error: OpenAIError


_ERRORS = {
    400: "Bad request (no voice loaded, voice file not found, locked PDF, ...)",
    401: "API token required",
    403: "Cross-site request refused (a web page on another site)",
    404: "No such voice, job, scene, cover, model or endpoint",
    405: "Method not allowed",
    409: "Not ready yet",
    413: "Text, upload or PDF over the limits",
    415: "Unsupported audio format, or a cover that is not a PNG or JPEG",
    421: "Host name not allowed (DNS rebinding)",
    422: "Invalid request, empty text, unreadable or too short/long audio, PDF without text",
    429: "Too many requests waiting; see Retry-After",
    503: "Set-up incomplete, model could not be loaded, or GPU out of memory",
}
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERRORS.items()
}
OPENAI_ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": OpenAIErrorBody, "description": text} for status, text in _ERRORS.items()
}

"""Domain errors: every failure a client can meet, with its HTTP status, code, message and solution.

Nothing here imports FastAPI; the API layer turns any AppError into the same JSON body. The classes
live by domain in error_base.py, errors_engine.py, errors_input.py, errors_jobs.py and
errors_access.py; everything imports them from here, which holds every one of them.
"""

from __future__ import annotations

from backend.core.error_base import AppError
from backend.core.errors_access import (
    ChecksumMismatch,
    CrossSiteRequest,
    HostNotAllowed,
    LeaseLost,
    ServerBusy,
    TokenRequired,
    WorkersDisabled,
    WorkerTokenRequired,
)
from backend.core.errors_engine import (
    EngineFault,
    EnvironmentNotSetup,
    GpuOutOfMemory,
    InternalError,
    ModelLoadFailed,
    ModelNotFound,
    ModelNotInstalled,
    ModelNotLoaded,
    NoVoiceLoaded,
    SynthesisFailed,
    SynthesisTimeout,
    UnknownTag,
    UnsupportedLanguage,
    VoiceCloningUnavailable,
    VoiceConversionUnavailable,
    VoiceNotFound,
    VoiceTooShortForModel,
)
from backend.core.errors_input import (
    AudioTooLong,
    AudioTooShort,
    AudioUnreadable,
    CoverNotFound,
    CoverUnreadable,
    DocumentEncrypted,
    DocumentNoText,
    DocumentTooLarge,
    DocumentUnreadable,
    DocumentUnsupported,
    InvalidRequest,
    TextEmpty,
    TextTooLong,
    UnknownVoiceId,
    UnsupportedAudioFormat,
    UploadTooLarge,
    VoiceFileNotFound,
)
from backend.core.errors_jobs import (
    JobEnded,
    JobNotFound,
    JobSourceMissing,
    LexiconEntryInvalid,
    LexiconEntryNotFound,
    NotReady,
    QueueOrderInvalid,
    SceneNotFound,
    SceneTextTooLong,
    TakeNotFound,
    TimesUnavailable,
)

__all__ = [
    "AppError",
    "AudioTooLong",
    "AudioTooShort",
    "AudioUnreadable",
    "ChecksumMismatch",
    "CoverNotFound",
    "CoverUnreadable",
    "CrossSiteRequest",
    "DocumentEncrypted",
    "DocumentNoText",
    "DocumentTooLarge",
    "DocumentUnreadable",
    "DocumentUnsupported",
    "EngineFault",
    "EnvironmentNotSetup",
    "GpuOutOfMemory",
    "HostNotAllowed",
    "InternalError",
    "InvalidRequest",
    "JobEnded",
    "JobNotFound",
    "JobSourceMissing",
    "LeaseLost",
    "LexiconEntryInvalid",
    "LexiconEntryNotFound",
    "ModelLoadFailed",
    "ModelNotFound",
    "ModelNotInstalled",
    "ModelNotLoaded",
    "NoVoiceLoaded",
    "NotReady",
    "QueueOrderInvalid",
    "SceneNotFound",
    "SceneTextTooLong",
    "ServerBusy",
    "SynthesisFailed",
    "SynthesisTimeout",
    "TakeNotFound",
    "TextEmpty",
    "TextTooLong",
    "TimesUnavailable",
    "TokenRequired",
    "UnknownTag",
    "UnknownVoiceId",
    "UnsupportedAudioFormat",
    "UnsupportedLanguage",
    "UploadTooLarge",
    "VoiceCloningUnavailable",
    "VoiceConversionUnavailable",
    "VoiceFileNotFound",
    "VoiceNotFound",
    "VoiceTooShortForModel",
    "WorkerTokenRequired",
    "WorkersDisabled",
    "error_for",
]


def error_for(code: str, message: str | None, solution: str | None) -> AppError:
    """The AppError a stored (code, message, solution) stands for: the class with that code (an
    unknown code gets the base class's status), so a recorded error reads as it did when raised."""
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls(message, solution)
        pending.extend(cls.__subclasses__())
    error = AppError(message, solution)
    error.code = code  # type: ignore[misc]  # an instance attribute shadows the ClassVar
    return error

"""The server's error bodies, as the ApiError a real ApiClient would raise for each one.

Messages and solutions are the server's own words (backend/core/errors.py and the routes), so
the pages are tested against what users will really read.
"""

from __future__ import annotations

import re
from typing import Any

import soundfile as sf

from frontend.api_client import ApiError
from tests.frontend import media

CLONING_SOLUTION = (
    "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
    "(downloads the model into model_cache/), then restart the server."
)


def not_set_up() -> ApiError:
    return ApiError(
        "environment_not_setup",
        "The selected engine's libraries are not installed.",
        "Run: python setup_env.py --engine chatterbox",
        503,
    )


def cloning_unavailable() -> ApiError:
    message = "The current engine (Piper) cannot speak in an uploaded voice."
    return ApiError("voice_cloning_unavailable", message, CLONING_SOLUTION, 400)


def voice_not_found(voice_id: str) -> ApiError:
    """GET/DELETE /voices/{id} of an id the library lacks."""
    message = f"No voice has the id {voice_id[:80]!r}."
    return ApiError("voice_not_found", message, "List the library with GET /voices.", 404)


def unknown_voice(voice_id: str, available: list[str]) -> ApiError:
    """A voice to speak with (or to select) that nobody has: 400, listing the ones there are."""
    message = f"Unknown voice '{voice_id}'. Available voices: {', '.join(available)}."
    solution = "Use one of the available voices, or upload a new one with POST /voices."
    return ApiError("voice_not_found", message, solution, 400)


def text_empty() -> ApiError:
    solution = "Send some words to speak in the 'text' field."
    return ApiError("text_empty", "The text is empty.", solution, 422)


def invalid_request(message: str) -> ApiError:
    solution = "Check the fields against the API documentation at /docs."
    return ApiError("invalid_request", message, solution, 422)


def job_not_found() -> ApiError:
    return ApiError("job_not_found", "There is no such job.", "List the jobs with GET /jobs.", 404)


def scene_not_found() -> ApiError:
    solution = "Scene numbers start at 1; GET /jobs/{id} lists them."
    return ApiError("scene_not_found", "The job has no such scene.", solution, 404)


def not_ready(message: str) -> ApiError:
    solution = "Wait until the job (or scene) is completed; GET /jobs/{id} shows progress."
    return ApiError("not_ready", message, solution, 409)


def pdf_unreadable() -> ApiError:
    solution = "The file may be damaged; save or print it to PDF again and upload that."
    return ApiError("pdf_unreadable", "The file could not be read as a PDF.", solution, 422)


def pdf_encrypted(password_given: bool) -> ApiError:
    if password_given:
        return ApiError(
            "pdf_encrypted",
            "The PDF is protected by a password, and the password given is not correct.",
            "Check the PDF's password (it is case-sensitive) and start again.",
            400,
        )
    return ApiError(
        "pdf_encrypted",
        "The PDF is protected by a password, and none was given.",
        "Enter the PDF's password in the password field and start again.",
        400,
    )


def check_clip(filename: str, data: bytes, limits: dict[str, Any]) -> float:
    """The server's checks of a reference clip, in its order; returns its length in seconds."""
    if not re.search(r"\.(wav|mp3|flac|ogg|webm|m4a|mp4)$", filename.lower()):
        raise ApiError(
            "unsupported_audio_format",
            f"'{filename}' does not end in .wav, .mp3, .flac, .ogg, .webm, .m4a or .mp4, "
            "so it is not accepted.",
            "Upload WAV, MP3, FLAC, OGG, WebM (Opus) or MP4 (AAC) audio.",
            415,
        )
    if len(data) > limits["max_upload_bytes"]:
        raise ApiError(
            "upload_too_large",
            f"'{filename}' is {len(data) / 2**20:.1f} MB; "
            f"the limit is {limits['max_upload_mb']:g} MB.",
            "Trim the clip: 10-30 seconds of clean speech is ideal for cloning.",
            413,
        )
    try:
        seconds = media.seconds_of(data)
    except sf.LibsndfileError:
        raise ApiError(
            "audio_unreadable",
            "The audio file could not be decoded.",
            "The file may be damaged; export it again as WAV and upload that.",
            422,
        ) from None
    low, high = limits["voice_min_seconds"], limits["voice_max_seconds"]
    if seconds < low:
        raise ApiError(
            "audio_too_short",
            f"'{filename}' holds {seconds:.2f} s of sound after trimming silence; "
            f"at least {low:g} s is needed.",
            "Record at least 3 seconds of speech (10-30 seconds is ideal).",
            422,
        )
    if seconds > high:
        raise ApiError(
            "audio_too_long",
            f"'{filename}' holds {seconds:.1f} s of sound after trimming silence; "
            f"the most a reference may be is {high:g} s.",
            "Trim the clip to under a minute; 10-30 seconds of clean speech is ideal.",
            422,
        )
    return seconds

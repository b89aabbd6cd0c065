"""The server's error bodies, as the ApiError a real ApiClient would raise for each one.

Messages and solutions are the server's own words (backend/core/errors.py and the routes), so
the pages are tested against what users will really read.
"""

from __future__ import annotations

import re
from typing import Any

import soundfile as sf

from backend.core import errors
from backend.core.errors import AppError, CoverNotFound, CoverUnreadable
from frontend.api_client import ApiError
from tests.frontend import media

CLONING_SOLUTION = (
    "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
    "(downloads the model into model_cache/), then restart the server."
)


AUDIO_SOLUTION = "Upload WAV, MP3, FLAC, OGG, WebM (Opus) or MP4 (AAC) audio."
UNREADABLE_SOLUTION = "The file may be damaged; export it again as WAV and upload that."
# The headers the server sniffs (backend/voices/validate.py); MP4's "ftyp" sits at byte 4, and
# an MP3 may begin with a bare frame (11 sync bits).
AUDIO_MAGIC = (b"RIFF", b"\x1a\x45\xdf\xa3", b"ID3", b"fLaC", b"OggS")


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


def voice_unchanged() -> ApiError:
    """PATCH /voices/{id} with neither a name nor a language."""
    message = "The request changes nothing: it gives neither a name nor a language."
    solution = (
        'Send "name" (1-100 characters) and/or "language" (an ISO 639-1 code such as de, or '
        "null to clear it)."
    )
    return ApiError("invalid_request", message, solution, 422)


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


def from_app_error(error: Any) -> ApiError:
    """The ApiError a real client raises for the server's AppError `error` (the fake reads
    documents with the server's own detection and reader code, so the words are the same)."""
    return ApiError(error.code, error.message, error.solution, error.status_code)


def document_unreadable() -> ApiError:
    solution = "The file may be damaged; save or print it to PDF again and upload that."
    return ApiError("document_unreadable", "The file could not be read as a PDF.", solution, 422)


def document_encrypted(password_given: bool) -> ApiError:
    if password_given:
        return ApiError(
            "document_encrypted",
            "The PDF is protected by a password, and the password given is not correct.",
            "Check the PDF's password (it is case-sensitive) and start again.",
            400,
        )
    return ApiError(
        "document_encrypted",
        "The PDF is protected by a password, and none was given.",
        "Enter the PDF's password in the password field and start again.",
        400,
    )


def check_clip(filename: str, data: bytes, limits: dict[str, Any]) -> float:
    """The server's checks of a reference clip, in its order; returns its length in seconds."""
    seconds = check_recording(filename, data, limits)
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


def check_recording(filename: str, data: bytes, limits: dict[str, Any]) -> float:
    """The server's checks of an uploaded recording (a reference clip's, before its length
    limits), in its order; returns its length in seconds."""
    if not re.search(r"\.(wav|mp3|flac|ogg|webm|m4a|mp4)$", filename.lower()):
        raise ApiError(
            "unsupported_audio_format",
            f"'{filename}' does not end in .wav, .mp3, .flac, .ogg, .webm, .m4a or .mp4, "
            "so it is not accepted.",
            AUDIO_SOLUTION,
            415,
        )
    if not data:
        raise ApiError("audio_unreadable", f"The file '{filename}' is empty (0 bytes).",
                       UNREADABLE_SOLUTION, 422)  # fmt: skip
    if len(data) > limits["max_upload_bytes"]:
        raise ApiError(
            "upload_too_large",
            f"'{filename}' is {len(data) / 2**20:.1f} MB; "
            f"the limit is {limits['max_upload_mb']:g} MB.",
            "Trim the clip: 10-30 seconds of clean speech is ideal for cloning.",
            413,
        )
    mpeg_frame = len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
    if not (data.startswith(AUDIO_MAGIC) or data[4:8] == b"ftyp" or mpeg_frame):
        raise ApiError(
            "unsupported_audio_format",
            f"The content of '{filename}' is not audio (no WAV, MP3, FLAC, OGG, WebM or MP4 "
            "header), whatever its extension says.",
            AUDIO_SOLUTION,
            415,
        )
    try:
        return media.seconds_of(data)
    except sf.LibsndfileError:
        raise ApiError(
            "audio_unreadable",
            "The audio file could not be decoded.",
            UNREADABLE_SOLUTION,
            422,
        ) from None


# -- the model family (backend/engines/manager.py, backend/speaking/prepare.py) ------------------
INSTALL_MULTILINGUAL = "python setup_env.py --model multilingual"


def model_not_found(name: str, names: list[str], family_key: str | None) -> ApiError:
    """A request's model the server does not have; `family_key`: the Chatterbox model the name
    means, when it is one (it is then not installed)."""
    listed = ", ".join(names)
    if name.strip().lower() in ("chatterbox", "piper"):
        solution = (
            f"Send one of {listed}, or restart the server with "
            f"CHATTERBOX_ENGINE={name.strip().lower()}."
        )
    elif family_key is not None:
        solution = (
            f"Install it: python setup_env.py --model {family_key}, then restart the server; "
            f"or send one of {listed}."
        )
    else:
        solution = f"Send one of {listed} (GET /v1/models lists them)."
    message = f"There is no model '{name}' on this server; it has {listed}."
    return ApiError("model_not_found", message, solution, 404, details={"param": "model"})


def model_not_loaded(wanted: tuple[str, str], loaded: tuple[str, str]) -> ApiError:
    """Switching off: (real name, title) of the model asked for and of the loaded one."""
    message = (
        f"This request asks for {wanted[1]}, and the server has {loaded[1]} loaded; model "
        "switching is off (CHATTERBOX_MODEL_SWITCH=off)."
    )
    solution = (
        f"Send model={loaded[0]} (the loaded one), or set CHATTERBOX_MODEL_SWITCH=on and "
        "restart the server so it can switch."
    )
    details = {"model": wanted[0], "loaded": loaded[0]}
    return ApiError("model_not_loaded", message, solution, 409, details=details)


def unknown_tag(title: str, unknown: list[str], known: list[str]) -> ApiError:
    plural = "s" if len(unknown) > 1 else ""
    return ApiError(
        "unknown_tag",
        f"{title} does not know the tag{plural} {', '.join(unknown)}.",
        "Use one of the tags listed in 'known_tags', or remove the brackets.",
        422,
        details={"known_tags": known, "unknown_tags": unknown},
    )


def unsupported_language(
    language: str, title: str, languages: list[str], multilingual: bool, all_codes: list[str]
) -> ApiError:
    if multilingual:
        solution = f"Send one of: {', '.join(languages)}."
    else:
        solution = (
            f"{title} speaks {', '.join(languages)} only. For other languages install the "
            f"Multilingual model ({INSTALL_MULTILINGUAL}), then send "
            f"model=multilingual and one of: {', '.join(all_codes)}."
        )
    message = f"{title} cannot speak '{language}'."
    return ApiError(
        "unsupported_language", message, solution, 422, details={"languages": languages}
    )


def voice_too_short_for_model(
    voice_id: str, seconds: float, title: str, model: str, minimum: float
) -> ApiError:
    return ApiError(
        "voice_too_short_for_model",
        f"The reference clip of voice '{voice_id}' is {seconds:.1f} s long; {title} "
        f"needs one longer than {minimum:g} s.",
        "Upload a longer reference clip for this voice, or use another model (for example "
        "model=original).",
        422,
        details={"model": model, "min_seconds": minimum, "seconds": round(seconds, 2)},
    )


def voice_conversion_unavailable(title: str | None = None) -> ApiError:
    message = (
        f"{title} cannot re-voice a recording."
        if title
        else "The current engine cannot re-voice a recording."
    )
    solution = (
        "Voice conversion needs a Chatterbox model: install one with python setup_env.py "
        "--model turbo, or send model=original (or turbo, multilingual) with the request."
    )
    return ApiError("voice_conversion_unavailable", message, solution, 400)


def cover_unreadable(message: str | None = None) -> ApiError:
    return _of(CoverUnreadable(message))


def cover_not_found() -> ApiError:
    return _of(CoverNotFound())


def _of(error: AppError) -> ApiError:
    """The ApiError the server's error body for `error` becomes in the client."""
    return ApiError(error.code, error.message, error.solution, error.status_code)


# -- issue 18: takes and the lexicon (codes as the contract names them; wording the fake's own
# until the server's routes exist, then taken from backend/core/errors.py)
def take_not_found(take: int) -> ApiError:
    solution = "GET /jobs/{id}/scenes/{n}/takes lists the takes the scene keeps."
    return ApiError("take_not_found", f"The scene has no take {take}.", solution, 404)


def scene_params_unknown(names: list[str]) -> ApiError:
    message = f"Unknown scene settings: {', '.join(names)}."
    solution = "A scene's own settings are seed, exaggeration, cfg_weight, temperature and rate."
    return ApiError("invalid_request", message, solution, 422)


def lexicon_entry_empty() -> ApiError:
    error = errors.LexiconEntryInvalid()
    return ApiError(error.code, error.message, error.solution, error.status_code)


def lexicon_entry_not_found(word: str) -> ApiError:
    solution = "GET /lexicon (or /jobs/{id}/lexicon) lists the entries."
    message = f"The lexicon has no entry for {word[:80]!r}."
    return ApiError("lexicon_entry_not_found", message, solution, 404)


def workers_disabled() -> ApiError:
    """A worker route of a server without a worker token (POST /workers/claim answers it)."""
    return _of(errors.WorkersDisabled())

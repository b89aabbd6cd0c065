"""Domain errors: every failure a client can meet, with its HTTP status, code, message and solution.

Nothing here imports FastAPI; the API layer turns any AppError into the same JSON body.
"""

from __future__ import annotations

from typing import ClassVar


class AppError(Exception):
    """Base of every error a client sees: {"error": code, "message": ..., "solution": ...}."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "The server hit an unexpected problem."
    default_solution: ClassVar[str] = "Try again; if it keeps happening, check the server log."

    def __init__(self, message: str | None = None, solution: str | None = None, **extra: object):
        self.message = message or self.default_message
        self.solution = solution or self.default_solution
        self.extra = extra
        super().__init__(self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": self.code,
            "message": self.message,
            "solution": self.solution,
            **self.extra,
        }


class EnvironmentNotSetup(AppError):
    status_code = 503
    code = "environment_not_setup"
    default_message = "The selected engine's libraries are not installed."
    default_solution = "Run: python setup_env.py"


class ModelLoadFailed(AppError):
    status_code = 503
    code = "model_load_failed"
    default_message = "The model could not be loaded."
    default_solution = (
        "Check the server log; free GPU memory or set CHATTERBOX_DEVICE=cpu, then retry."
    )


class SynthesisFailed(AppError):
    status_code = 500
    code = "synthesis_failed"
    default_message = "Speech synthesis failed."
    default_solution = "Try again with shorter text; if it keeps failing, reload the model."


class GpuOutOfMemory(AppError):
    status_code = 503
    code = "gpu_out_of_memory"
    default_message = (
        "The GPU ran out of memory while speaking this text, even after splitting it in two."
    )
    default_solution = (
        "Close other programs that use the GPU (games, video, browsers with hardware "
        "acceleration), turn on low-VRAM mode (CHATTERBOX_LOW_VRAM=on) and restart the server, "
        "or send shorter text. CHATTERBOX_DEVICE=cpu runs on the processor instead (slower)."
    )


class EngineFault(AppError):
    """The engine's host process ended under a call: a native crash, the OOM killer, a kill."""

    status_code = 503
    code = "engine_fault"
    default_message = "The speech engine's process stopped while it was working."
    default_solution = (
        "Send the request again: the engine starts afresh on the next request. If it keeps "
        "happening, the machine may be short of memory (close other programs, or turn on "
        "CHATTERBOX_LOW_VRAM=on), or the GPU driver may be failing (see the server log)."
    )


class SynthesisTimeout(AppError):
    """A model call ran past its deadline (CHATTERBOX_SCENE_TIMEOUT_SECONDS): the engine's
    process was killed, and the next request starts a fresh one."""

    status_code = 504
    code = "synthesis_timeout"
    default_message = "Speaking this text took too long, so the engine was stopped."
    default_solution = (
        "Send shorter text, or raise CHATTERBOX_SCENE_TIMEOUT_SECONDS (Chatterbox on a CPU "
        "needs minutes for a long text). The engine starts afresh on the next request."
    )


class InternalError(AppError):
    pass


class VoiceCloningUnavailable(AppError):
    status_code = 400
    code = "voice_cloning_unavailable"
    default_message = "The current engine (Piper) cannot speak in an uploaded voice."
    default_solution = (
        "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
        "(downloads the model into model_cache/), then restart the server."
    )


class NoVoiceLoaded(AppError):
    status_code = 400
    code = "no_voice_loaded"
    default_message = "No voice is selected and the engine has no built-in voice."
    default_solution = "Upload a reference clip (POST /voices) and select it with POST /load_voice."


class VoiceNotFound(AppError):
    status_code = 400
    code = "voice_not_found"
    default_solution = "Use one of the available voices, or upload a new one with POST /voices."


class ModelNotFound(AppError):
    status_code = 404
    code = "model_not_found"
    default_message = "There is no such model on this server."
    default_solution = "List the models with GET /v1/models, or send model=tts-1."


class ModelNotLoaded(AppError):
    """A request named a model other than the resident one, and switching is off."""

    status_code = 409
    code = "model_not_loaded"
    default_message = "The model this request names is not the one loaded."
    default_solution = (
        "Send the loaded model's name (GET /health, 'model'), or let the server switch models: "
        "set CHATTERBOX_MODEL_SWITCH=on and restart it."
    )


class ModelNotInstalled(AppError):
    status_code = 503
    code = "model_not_installed"
    default_message = "That Chatterbox model is not installed."
    default_solution = "Install it: python setup_env.py --model <name>, then restart the server."


class UnknownTag(AppError):
    status_code = 422
    code = "unknown_tag"
    default_message = "The text holds a bracketed tag the model does not know."
    default_solution = "Use one of the tags listed in 'known_tags', or remove the brackets."


class UnsupportedLanguage(AppError):
    status_code = 422
    code = "unsupported_language"
    default_message = "The model cannot speak that language."
    default_solution = "Send one of the codes listed in 'languages'."


class VoiceTooShortForModel(AppError):
    status_code = 422
    code = "voice_too_short_for_model"
    default_message = "The voice's reference clip is too short for this model."
    default_solution = (
        "Upload a longer reference clip for this voice, or use another model (for example "
        "model=original)."
    )


class VoiceConversionUnavailable(AppError):
    status_code = 400
    code = "voice_conversion_unavailable"
    default_message = "The current engine cannot re-voice a recording."
    default_solution = (
        "Voice conversion needs a Chatterbox model: install one with python setup_env.py "
        "--model turbo, or send model=original (or turbo, multilingual) with the request."
    )


class UnknownVoiceId(AppError):
    status_code = 404
    code = "voice_not_found"
    default_solution = "List the library with GET /voices."


class VoiceFileNotFound(AppError):
    status_code = 400
    code = "voice_file_not_found"
    default_message = "No voice file is available at that path."
    default_solution = (
        "Give a voice_id from GET /voices, or a path to an audio file inside the voice library "
        "or the import folder (CHATTERBOX_VOICE_IMPORT_DIR)."
    )


class TextEmpty(AppError):
    status_code = 422
    code = "text_empty"
    default_message = "The text is empty."
    default_solution = "Send some words to speak in the 'text' field."


class TextTooLong(AppError):
    status_code = 413
    code = "text_too_long"
    default_solution = "Split the text, or narrate long documents as a job."


class UploadTooLarge(AppError):
    status_code = 413
    code = "upload_too_large"
    default_solution = "Trim the clip: 10-30 seconds of clean speech is ideal for cloning."


class UnsupportedAudioFormat(AppError):
    status_code = 415
    code = "unsupported_audio_format"
    default_message = "That file is not a supported audio format."
    default_solution = "Upload WAV, MP3, FLAC or OGG, or a browser recording (WebM/Opus, MP4/AAC)."


class AudioUnreadable(AppError):
    status_code = 422
    code = "audio_unreadable"
    default_message = "The audio file could not be decoded."
    default_solution = "The file may be damaged; export it again as WAV and upload that."


class AudioTooShort(AppError):
    status_code = 422
    code = "audio_too_short"
    default_solution = "Record at least 3 seconds of speech (10-30 seconds is ideal)."


class AudioTooLong(AppError):
    status_code = 422
    code = "audio_too_long"
    default_solution = "Trim the clip to under a minute; 10-30 seconds of clean speech is ideal."


class InvalidRequest(AppError):
    status_code = 422
    code = "invalid_request"
    default_message = "The request is not valid."
    default_solution = "Check the fields against the API documentation at /docs."


class DocumentEncrypted(AppError):
    status_code = 400
    code = "document_encrypted"
    default_message = "The document is protected by a password or by DRM."
    default_solution = (
        "For a PDF, enter its password in the password field and start again. An e-book locked "
        "with DRM cannot be read: use a copy without DRM (for example one exported by its "
        "publisher), or paste its text instead."
    )


class DocumentNoText(AppError):
    status_code = 422
    code = "document_no_text"
    default_message = "The document has no text (it looks scanned or made of images)."
    default_solution = (
        "Run OCR on it first (for example ocrmypdf for a PDF), or paste the text instead."
    )


class DocumentUnreadable(AppError):
    status_code = 422
    code = "document_unreadable"
    default_message = "The file could not be read as a document."
    default_solution = (
        "The file may be damaged; save or export it again (as PDF, EPUB or DOCX) and upload that."
    )


class DocumentTooLarge(AppError):
    status_code = 413
    code = "document_too_large"
    default_solution = "Choose a page range (for example 1-50) and narrate the rest as another job."


class DocumentUnsupported(AppError):
    status_code = 415
    code = "document_unsupported"
    default_message = "That kind of file cannot be narrated."
    default_solution = (
        "Upload a PDF, EPUB, MOBI, FB2, DOCX, Markdown (.md), HTML (.html) or plain text (.txt) "
        "file, or paste the text instead."
    )


class JobNotFound(AppError):
    status_code = 404
    code = "job_not_found"
    default_message = "There is no such job."
    default_solution = "List the jobs with GET /jobs."


class JobEnded(AppError):
    status_code = 409
    code = "job_ended"
    default_message = "The job has ended."
    default_solution = (
        "Only a pending or processing job can be paused, resumed or moved in the queue; "
        "retry a failed or cancelled job first (POST /jobs/{id}/retry)."
    )


class QueueOrderInvalid(AppError):
    status_code = 422
    code = "queue_order_invalid"
    default_message = "The queue order names a job more than once."
    default_solution = "Send each unfinished job's id at most once, first to run first."


class SceneNotFound(AppError):
    status_code = 404
    code = "scene_not_found"
    default_message = "The job has no such scene."
    default_solution = "Scene numbers start at 1; GET /jobs/{id} lists them."


class TakeNotFound(AppError):
    status_code = 404
    code = "take_not_found"
    default_message = "The scene has no such take."
    default_solution = (
        "GET /jobs/{id}/scenes/{n}/takes lists the takes kept (the oldest unchosen ones are "
        "removed past CHATTERBOX_MAX_TAKES_KEPT)."
    )


class SceneTextTooLong(AppError):
    status_code = 422
    code = "scene_text_too_long"
    default_message = "The scene's text is longer than the engine speaks in one scene."
    default_solution = "Shorten the text, or move part of it into the next scene."


class CoverUnreadable(AppError):
    status_code = 415
    code = "cover_unreadable"
    default_message = "The file is not a PNG or JPEG image."
    default_solution = (
        "Upload the cover as a PNG or JPEG file (export or save it as one from an image "
        "editor); a square image of 1400-3000 pixels suits audiobook players."
    )


class CoverNotFound(AppError):
    status_code = 404
    code = "cover_not_found"
    default_message = "The job has no cover."
    default_solution = (
        "Upload one with PUT /jobs/{id}/cover (a PNG or JPEG image), or on the job's page in "
        "the studio. EPUB and PDF jobs get their book's cover once the document is read."
    )


class NotReady(AppError):
    status_code = 409
    code = "not_ready"
    default_message = "That audio is not ready yet."
    default_solution = "Wait until the job (or scene) is completed; GET /jobs/{id} shows progress."


class TimesUnavailable(AppError):
    status_code = 409
    code = "times_unavailable"
    default_message = "This narration has no word times."
    default_solution = (
        "Word times come from the Whisper quality check: install it (pip install -e "
        '".[quality]"), leave CHATTERBOX_QUALITY_CHECK at auto or on, and narrate the text again '
        "as a new job; or ask for level=sentence, which every narration has."
    )


class HostNotAllowed(AppError):
    status_code = 421
    code = "host_not_allowed"
    default_message = "This server only answers requests addressed to this machine."
    default_solution = (
        "Open it as http://127.0.0.1:<port> or http://localhost:<port>. To reach it under another "
        "name, add that name to CHATTERBOX_ALLOWED_HOSTS (and set CHATTERBOX_API_TOKEN)."
    )


class TokenRequired(AppError):
    status_code = 401
    code = "token_required"
    default_message = "This server needs an API token, and the request did not carry the right one."
    default_solution = (
        "Send the server's token (CHATTERBOX_API_TOKEN) as 'Authorization: Bearer <token>' or as "
        "'X-API-Key: <token>'. The studio sends it when it has CHATTERBOX_API_TOKEN too."
    )


class ServerBusy(AppError):
    status_code = 429
    code = "server_busy"
    default_message = "The server already has as many requests waiting as it queues."
    default_solution = (
        "Try again after the number of seconds in the Retry-After header; long texts are better "
        "sent as a narration job (POST /jobs), which has no such limit."
    )


class CrossSiteRequest(AppError):
    status_code = 403
    code = "cross_site_request"
    default_message = (
        "A web page on another site asked this server to change something; it only takes such "
        "requests from its own pages, the studio and programs that send no Origin header."
    )
    default_solution = (
        "If you trust that page, add its origin (for example http://localhost:3000) to "
        "CHATTERBOX_ALLOWED_ORIGINS on the server and restart it. Scripts, curl and API clients "
        "(which send no Origin header) are not affected."
    )


class JobSourceMissing(AppError):
    status_code = 422
    code = "job_source_missing"
    default_message = "The job's document is missing."
    default_solution = (
        "The uploaded document was never saved, or was moved or deleted from the job's folder. "
        "Delete this job and upload the document again."
    )


class LexiconEntryNotFound(AppError):
    status_code = 404
    code = "lexicon_entry_not_found"
    default_message = "The lexicon has no entry for that word."
    default_solution = "List the entries with GET /lexicon (or GET /jobs/{id}/lexicon for a job's)."


class LexiconEntryInvalid(AppError):
    status_code = 422
    code = "lexicon_entry_invalid"
    default_message = "A lexicon entry needs a respelling, phonemes or both."
    default_solution = (
        'Send {"respelling": "..."} (letters the voice reads as the word should sound, like '
        '"win" for Nguyen) and/or {"phonemes": "..."} (IPA for Piper voices, like '
        '"w\u02c8\u026an").'
    )


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


class WorkersDisabled(AppError):
    status_code = 503
    code = "workers_disabled"
    default_message = "This server takes no workers: it has no worker token."
    default_solution = (
        "Set CHATTERBOX_WORKER_TOKEN on the server (for example the output of: python -c "
        '"import secrets; print(secrets.token_urlsafe(32))"), restart it, and start the worker '
        "with the same token (--token or CHATTERBOX_WORKER_TOKEN)."
    )


class WorkerTokenRequired(AppError):
    status_code = 401
    code = "worker_token_required"
    default_message = "Worker routes need the worker token, and the request did not carry it."
    default_solution = (
        "Start the worker with the server's CHATTERBOX_WORKER_TOKEN (--token or the "
        "CHATTERBOX_WORKER_TOKEN variable); it is sent as 'Authorization: Bearer <token>'."
    )


class LeaseLost(AppError):
    status_code = 409
    code = "lease_lost"
    default_message = (
        "This lease is no longer the worker's: it expired, or the scene went to another worker."
    )
    default_solution = (
        "Drop the scene and claim the next one (POST /workers/claim); renew a lease well "
        "before its deadline (every third of CHATTERBOX_LEASE_SECONDS)."
    )


class ChecksumMismatch(AppError):
    status_code = 422
    code = "checksum_mismatch"
    default_message = "The audio's SHA-256 is not the one its X-Audio-SHA256 header gives."
    default_solution = (
        "Send the audio again, whole; its lease still holds the scene until the deadline."
    )

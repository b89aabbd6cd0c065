"""Errors in what a request brings: voices and their clips, texts, uploads, documents and
covers (gathered by backend.core.errors)."""

from __future__ import annotations

from backend.core.error_base import AppError


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

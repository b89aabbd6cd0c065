"""Errors of jobs and what they hold: scenes, takes, the queue, read-along times and the
lexicon (gathered by backend.core.errors)."""

from __future__ import annotations

from backend.core.error_base import AppError


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

"""Narration jobs' answers (/jobs): a job, its scenes, a page of them, and the job actions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from backend.api.schemas import ResponseBody

JobStatus = Literal["pending", "processing", "completed", "failed", "cancelled"]
StepStatus = Literal["pending", "processing", "completed", "failed"]


class Chapter(ResponseBody):
    """A chapter from the PDF's outline and the page it starts on (while a job is read)."""

    title: str
    page: int


class NarrationChapter(ResponseBody):
    """A chapter marker of the finished narration: where in the audio it starts."""

    title: str
    start_seconds: float
    scene: int = Field(description="The idx of its first scene.")


class Progress(ResponseBody):
    """The job's scenes counted by their audio step."""

    total: int
    pending: int
    processing: int
    completed: int
    failed: int
    retaken: int = Field(0, description="Scenes spoken more than once (a check failed).")
    voice_converted: int = Field(
        0, description="Scenes repaired by voice conversion instead (speaker_repair=convert)."
    )


class SceneQuality(ResponseBody):
    """The checks a spoken scene passed: takes made and, per check that ran, its score or bar."""

    takes: int
    wer: float | None = Field(None, description="Word error rate Whisper heard (0 is perfect).")
    speaker_min_similarity: float | None = Field(
        None, description="The bar the speaker check held the take to."
    )
    repair: str | None = Field(
        None, description="voice_conversion: the take was re-voiced to pass the speaker check."
    )


class Word(ResponseBody):
    """A word's time within its scene's audio, in seconds (where a check timed it)."""

    start: float
    end: float
    word: str


class Mark(ResponseBody):
    """A sentence's time within its scene's audio, in seconds."""

    start: float
    end: float
    text: str
    words: list[Word] | None = None


class Scene(ResponseBody):
    """One piece of the narration, spoken on its own. Times are ISO 8601 UTC."""

    job_id: str
    idx: int = Field(description="1, 2, ... in reading order.")
    text: str
    chapter: str | None
    page: int | None = Field(description="The PDF page it reads (null for a text job).")
    bbox: list[float] | None = Field(description="x0, y0, x1, y1 on the page, in points.")
    text_status: StepStatus
    audio_status: StepStatus
    image_status: StepStatus
    audio_path: str | None
    image_path: str | None
    duration_seconds: float | None
    engine_seconds: float | None = Field(description="Seconds the engine took to speak it.")
    attempts: int
    error_code: str | None
    error_message: str | None
    started_at: str | None
    finished_at: str | None
    queued_at: str | None = Field(None, description="When it last became pending.")
    quality: SceneQuality | None
    speaker_similarity: float | None
    image_error: str | None = Field(description="Why the scene has no image, if it has none.")
    marks: list[Mark] | None = Field(
        None, description="Its sentences' times within its audio (null: not yet known)."
    )
    start_seconds: float | None = Field(
        None, description="Where it starts in the assembled narration (null: not assembled)."
    )
    # Directing a narration (issue 18): the spoken text, takes, re-takes and checks.
    spoken_text: str | None = Field(
        None, description="The text as spoken: normalised, the lexicon applied (its take's)."
    )
    stale: bool = Field(
        False, description="Its audio no longer matches its text, its settings or the lexicon."
    )
    params: dict[str, Any] | None = Field(
        None, description="Its own synthesis settings over the job's (seed, rate, ...)."
    )
    take: int | None = Field(None, description="The number of the chosen take.")
    takes: int = Field(0, description="Takes kept (GET /jobs/{id}/scenes/{n}/takes).")
    pending_takes: int = Field(0, description="Re-takes queued and not yet made.")
    check_status: Literal["checking", "retaking", "passed", "failed"] | None = Field(
        None, description="Its checks, off the critical path (null: no check ran)."
    )


class JobSummary(ResponseBody):
    """A job without its scenes (GET /jobs lists these). Times are ISO 8601 UTC."""

    id: str
    title: str
    source_kind: Literal["pdf", "text"]
    source_path: str | None
    voice: str | None = Field(description="The voice id it is narrated in, or builtin.")
    params: dict[str, Any] = Field(description="rate, exaggeration, cfg_weight, ...")
    pages: str | None = Field(description='The page range asked for, e.g. "1-10,12".')
    status: JobStatus
    extraction_status: StepStatus
    total_pages: int | None
    error_code: str | None
    error_message: str | None
    error_solution: str | None
    chapters: list[Chapter] | list[NarrationChapter] = Field(
        description="The outline's chapters by page while the job is read; once the narration "
        "is assembled, its chapter markers by time instead."
    )
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    final_audio_path: str | None
    engine: str | None = Field(description="The engine its scenes were split for.")
    model: str | None
    sample_rate: int | None
    max_chars: int | None
    source_format: str | None = Field(
        None, description="pdf, epub, mobi, fb2, txt, md, html or docx; null for a pasted text."
    )
    author: str | None = Field(None, description="From the book's metadata, where it has one.")
    cover_path: str | None = Field(None, description="The cover image, where there is one.")
    priority: int = Field(0, description="Its rank in the queue: higher runs first, then oldest.")
    paused: bool = Field(
        False, description="Paused: no scene of it starts (the one in progress finishes)."
    )
    queue_position: int | None = Field(
        None,
        description="1, 2, ... among the unfinished jobs, in the order they run; null once "
        "the job has ended.",
    )
    grade_level: str | None = Field(
        None,
        description="The school grade asked for (POST /api/upload); the text is not "
        "rewritten for it.",
    )
    reading_grade: float | None = Field(
        None, description="The source text's measured Flesch-Kincaid grade (POST /api/upload)."
    )
    progress: Progress


class JobPublic(JobSummary):
    """A job with its scenes in order (GET /jobs/{id}, POST /jobs, POST /jobs/{id}/cancel)."""

    scenes: list[Scene]


class JobList(ResponseBody):
    """GET /jobs: every job, newest first (queue_position gives the order they run in)."""

    jobs: list[JobSummary]
    paused_all: bool = Field(
        description="POST /jobs/pause-all holds: every job is paused until POST /jobs/resume-all."
    )


class ScenesPage(ResponseBody):
    """GET /jobs/{id}/scenes: a page of scenes with the job itself (no scenes)."""

    job: JobSummary
    scenes: list[Scene]
    next_after: int | None = Field(description="`after` of the next page; null on the last.")
    total: int = Field(description="The job's scenes.")
    unsettled_from: int | None = Field(
        description="The lowest idx whose audio or image can still change (null: none can)."
    )


class JobRetried(ResponseBody):
    """POST /jobs/{id}/retry: the scenes put back in the queue, and the job now."""

    requeued: int
    job: JobPublic


class JobDeleted(ResponseBody):
    deleted: str

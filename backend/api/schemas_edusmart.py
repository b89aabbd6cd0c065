"""The EduSmart story answers (/api/upload, /api/story/{id}/status): a job seen as a story."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from backend.api.schemas import ResponseBody
from backend.api.schemas_jobs import JobStatus, Progress, StepStatus

GradeBasis = Literal["whole text", "pages read so far"]


class StoryGrade(ResponseBody):
    """What a story says about its grade: the one asked for, the one measured, and the note
    that the text is spoken as written."""

    story_id: str = Field(description="The job's id: GET /jobs/{id} shows the same job.")
    status: JobStatus
    title: str
    grade_level: str | None = Field(description="As sent with the upload; recorded only.")
    reading_grade: float | None = Field(
        description="The source text's Flesch-Kincaid grade (null: no words to measure)."
    )
    reading_grade_basis: GradeBasis = Field(
        description="What was measured: the whole text, or (while the document is still being "
        "read) the pages read so far."
    )
    text_rewritten: Literal[False] = Field(
        False, description="Always false: the text is never rewritten for the grade level."
    )
    note: str


class StoryCreated(StoryGrade):
    """POST /api/upload: the story started (202), as POST /jobs starts a job."""

    voice: str | None = Field(description="The voice asked for, as sent.")
    voice_used: str = Field(description="The voice the story is spoken in (builtin or an id).")
    voice_note: str | None = Field(
        description="Why the voice used differs from the one asked for (null: it does not)."
    )
    status_url: str


class StoryScene(ResponseBody):
    """One scene of a story, with where to fetch its audio and image once they are made."""

    scene_id: int = Field(description="1, 2, ... in reading order (the job's scene idx).")
    text: str = Field(description="As in the document: not rewritten.")
    page: int | None
    audio_status: StepStatus
    image_status: StepStatus
    audio_url: str | None = Field(description="The scene's WAV once audio_status is completed.")
    image_url: str | None = Field(description="Its page region (PNG) once image_status is.")


class StoryStatus(StoryGrade):
    """GET /api/story/{id}/status: the story, its progress and its scenes in order."""

    voice_used: str | None
    progress: Progress
    audio_url: str | None = Field(description="The whole narration once status is completed.")
    error_message: str | None
    error_solution: str | None
    scenes: list[StoryScene]

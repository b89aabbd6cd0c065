"""StudioApi: every call the studio makes to the narration server, as one protocol.

ApiClient (HTTP) and the tests' FakeApi (in memory) both implement it. The studio ships without
the backend, so answers stay plain JSON dicts; each JSON method's return type names, in its
`Answer`, the server's response model (backend/api/schemas_*.py) the dict conforms to.
tests/frontend/test_fake_api.py holds both implementations to these signatures and validates
both one's answers against those models, key for key. Audio comes back as Speech: the bytes,
with what the server's headers said of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypedDict


class Answer:
    """The server's response models a method's JSON conforms to (one of them), by class name."""

    __slots__ = ("models",)

    def __init__(self, *models: str):
        self.models = models

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Answer) and other.models == self.models

    def __hash__(self) -> int:
        return hash(self.models)

    def __repr__(self) -> str:
        return f"Answer{self.models!r}"


@dataclass(frozen=True)
class Speech:
    """Audio the server made (POST /tts, POST /voice-conversion) and what its headers said."""

    audio: bytes
    model: str | None = None  # X-TTS-Model: the model key that spoke
    voice: str | None = None  # X-Voice: the voice that spoke
    seconds: float | None = None  # X-Audio-Seconds
    tags_removed: tuple[str, ...] = ()  # X-Tags-Removed: tags this model would have read aloud
    params_ignored: tuple[str, ...] = ()  # X-Params-Ignored: knobs this model ignores


Json = dict[str, Any]
# /health's 200 (whole or outline) or its 503 body: the client returns both.
HealthBody = Annotated[Json, Answer("Health", "HealthOutline", "HealthNotSetUp")]
ModelStatusBody = Annotated[Json, Answer("ModelStatus")]
ModelUnloadBody = Annotated[Json, Answer("ModelUnload")]
VoiceListBody = Annotated[Json, Answer("VoiceList")]
VoiceBody = Annotated[Json, Answer("Voice")]
CurrentVoiceBody = Annotated[Json, Answer("CurrentVoice")]
CurrentClearedBody = Annotated[Json, Answer("CurrentCleared")]
VoiceDeletedBody = Annotated[Json, Answer("VoiceDeleted")]
PdfPreviewBody = Annotated[Json, Answer("PdfPreview")]
JobBody = Annotated[Json, Answer("JobPublic")]
JobSummaries = Annotated[list[Json], Answer("JobSummary")]  # each item
ScenesPageBody = Annotated[Json, Answer("ScenesPage")]
JobRetriedBody = Annotated[Json, Answer("JobRetried")]
JobDeletedBody = Annotated[Json, Answer("JobDeleted")]
JobReportBody = Annotated[Json, Answer("JobReport")]
JobListBody = Annotated[Json, Answer("JobList")]  # the jobs and whether all are paused
PausedAllBody = Annotated[Json, Answer("PausedAll")]
ResumedAllBody = Annotated[Json, Answer("ResumedAll")]
SceneBody = Annotated[Json, Answer("Scene")]
TakeQueuedBody = Annotated[Json, Answer("TakeQueued")]
StaleQueuedBody = Annotated[Json, Answer("StaleQueued")]
TakeListBody = Annotated[Json, Answer("SceneTakes")]
LexiconBody = Annotated[Json, Answer("LexiconList")]
LexiconSavedBody = Annotated[Json, Answer("LexiconPut")]
LexiconDeletedBody = Annotated[Json, Answer("LexiconDeleted")]
WorkerListBody = Annotated[Json, Answer("WorkerList")]


class VoiceChanges(TypedDict, total=False):
    """What to change of a library voice (PATCH /voices/{id}): a key left out stays as it is;
    a language of None clears it."""

    name: str
    language: str | None


class StudioApi(Protocol):
    """The narration server as the studio sees it. Every method raises ApiError on failure
    (the server's code, message and solution; server_unreachable when it does not answer)."""

    base_url: str  # also the studio's cache key: one per server
    timeout: float  # seconds, quick calls
    slow_timeout: float  # seconds, synthesis and uploads

    # -- server and model
    def health(self) -> HealthBody: ...
    def load_model(self) -> ModelStatusBody: ...
    def unload_model(self) -> ModelUnloadBody: ...

    # -- voices
    def voices(self) -> VoiceListBody: ...
    def add_voice(
        self, filename: str, data: bytes, name: str | None = None, language: str | None = None
    ) -> VoiceBody: ...
    def select_voice(self, voice_id: str) -> CurrentVoiceBody: ...
    def clear_voice(self) -> CurrentClearedBody: ...
    def delete_voice(self, voice_id: str) -> VoiceDeletedBody: ...
    def voice_audio(self, voice_id: str) -> bytes: ...
    def update_voice(self, voice_id: str, changes: VoiceChanges) -> VoiceBody: ...

    # -- speech (`model`: a model key or real name; another than the loaded one makes the
    # server switch to it; None speaks with the loaded one. `language`: ISO 639-1)
    def speak(
        self,
        text: str,
        voice: str | None,
        params: dict[str, Any],
        fmt: str = "wav",
        model: str | None = None,
        language: str | None = None,
    ) -> Speech: ...
    def convert_voice(
        self, filename: str, data: bytes, voice: str, fmt: str = "wav", model: str | None = None
    ) -> Speech: ...

    # -- documents and jobs
    def preview_pdf(
        self, filename: str, data: bytes, pages: str | None = None, password: str | None = None
    ) -> PdfPreviewBody: ...
    def create_job(
        self,
        *,
        text: str | None = None,
        pdf: tuple[str, bytes] | None = None,
        title: str | None = None,
        voice: str | None = None,
        pages: str | None = None,
        password: str | None = None,
        params: dict[str, Any] | None = None,
        model: str | None = None,
        language: str | None = None,  # None: the server detects it from the text
    ) -> JobBody: ...
    def jobs(self) -> JobSummaries: ...
    def job(self, job_id: str) -> JobBody: ...
    def job_scenes(self, job_id: str, after: int = 0, limit: int = 100) -> ScenesPageBody: ...
    def cancel_job(self, job_id: str) -> JobBody: ...
    def retry_job(self, job_id: str) -> JobRetriedBody: ...
    def delete_job(self, job_id: str) -> JobDeletedBody: ...
    def scene_audio(self, job_id: str, index: int) -> bytes: ...
    def scene_image(self, job_id: str, index: int) -> bytes: ...
    def job_audio(self, job_id: str, fmt: str = "mp3") -> bytes: ...  # wav, mp3 or m4b
    def job_report(self, job_id: str) -> JobReportBody: ...
    def put_cover(self, job_id: str, filename: str, data: bytes) -> JobBody: ...
    def job_cover(self, job_id: str) -> bytes: ...
    def job_subtitles(self, job_id: str, fmt: str = "vtt", level: str = "sentence") -> bytes: ...

    # -- the queue (jobs run highest priority first; pausing takes effect at a scene boundary)
    def job_list(self) -> JobListBody: ...
    def reorder_jobs(self, order: list[str]) -> JobListBody: ...
    def pause_job(self, job_id: str) -> JobBody: ...
    def resume_job(self, job_id: str) -> JobBody: ...
    def pause_all(self) -> PausedAllBody: ...
    def resume_all(self) -> ResumedAllBody: ...

    # -- one scene's text, settings and takes (`params`: seed, exaggeration, cfg_weight,
    # temperature, rate: the scene's own settings over the job's)
    def edit_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> SceneBody: ...
    def regenerate_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> TakeQueuedBody: ...
    def regenerate_stale(self, job_id: str) -> StaleQueuedBody: ...
    def scene_takes(self, job_id: str, index: int) -> TakeListBody: ...
    def take_audio(self, job_id: str, index: int, take: int) -> bytes: ...
    def choose_take(self, job_id: str, index: int, take: int) -> SceneBody: ...

    # -- the pronunciation lexicon (`job_id` None: the global one; else that job's own)
    def lexicon(self, job_id: str | None = None) -> LexiconBody: ...
    def put_lexicon_entry(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        job_id: str | None = None,
    ) -> LexiconSavedBody: ...
    def delete_lexicon_entry(self, word: str, job_id: str | None = None) -> LexiconDeletedBody: ...
    def audition(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        sentence: str | None = None,
        voice: str | None = None,
    ) -> Speech: ...

    # -- the pull workers (GET /workers, with the API token): those heard from since the server
    # started; a server without a worker token lists none
    def workers(self) -> WorkerListBody: ...

"""The studio's only door to the narration server: every URL and HTTP detail lives here.

Each method returns the server's JSON (or bytes) on success and raises ApiError on anything
else, carrying the server's own error code, message and solution. A server that does not answer
becomes ApiError("server_unreachable"), so pages show one kind of failure and never a traceback.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import requests

from frontend.api_protocol import (
    CurrentClearedBody,
    CurrentVoiceBody,
    HealthBody,
    JobBody,
    JobDeletedBody,
    JobListBody,
    JobReportBody,
    JobRetriedBody,
    JobSummaries,
    LexiconBody,
    LexiconDeletedBody,
    LexiconSavedBody,
    ModelStatusBody,
    ModelUnloadBody,
    PausedAllBody,
    PdfPreviewBody,
    ResumedAllBody,
    SceneBody,
    ScenesPageBody,
    Speech,
    StaleQueuedBody,
    TakeListBody,
    TakeQueuedBody,
    VoiceBody,
    VoiceChanges,
    VoiceDeletedBody,
    VoiceListBody,
    WorkerListBody,
)

DEFAULT_URL = "http://127.0.0.1:8000"
UNREACHABLE = "server_unreachable"
BODY_KEYS = ("error", "message", "solution")


class ApiError(Exception):
    """A failed request: the server's error body, or a description of why none came back.
    `details`: the body's other fields (known_tags, languages, min_seconds...)."""

    def __init__(
        self,
        code: str,
        message: str,
        solution: str = "",
        status: int = 0,
        base_url: str = "",
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.base_url = base_url
        self.code = code
        self.message = message
        self.solution = solution
        self.status = status
        self.details = details or {}

    @property
    def server_down(self) -> bool:
        return self.code == UNREACHABLE


def server_url() -> str:
    return os.environ.get("CHATTERBOX_URL", DEFAULT_URL).rstrip("/")


class ApiClient:
    """HTTP client of the backend API (implements StudioApi); thread-safe for the calls
    Streamlit makes.

    `timeout` bounds quick calls; synthesis and uploads get `slow_timeout`, because a long text on
    a CPU can take minutes.
    """

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float = 10.0,
        slow_timeout: float = 600.0,
        token: str | None = None,
    ):
        self.base_url = (base_url or server_url()).rstrip("/")
        self.timeout = timeout
        self.slow_timeout = slow_timeout
        self._http = requests.Session()
        token = token or os.environ.get("CHATTERBOX_API_TOKEN")  # the server's own variable
        if token:
            self._http.headers["Authorization"] = f"Bearer {token}"

    # -- server and model ------------------------------------------------------------------
    def health(self) -> HealthBody:
        """The /health body; a 503 (not set up) still returns its body, marked by "error"."""
        response = self._send("GET", "/health", accept=(503,))
        return response.json()

    def load_model(self) -> ModelStatusBody:
        return self._json("POST", "/model/load", slow=True)

    def unload_model(self) -> ModelUnloadBody:
        return self._json("POST", "/model/unload", slow=True)

    # -- voices ----------------------------------------------------------------------------
    def voices(self) -> VoiceListBody:
        return self._json("GET", "/voices")

    def add_voice(
        self, filename: str, data: bytes, name: str | None = None, language: str | None = None
    ) -> VoiceBody:
        files = {"file": (filename, data)}
        form = _form(name=name, language=language)
        return self._json("POST", "/voices", slow=True, files=files, data=form)

    def select_voice(self, voice_id: str) -> CurrentVoiceBody:
        return self._json("POST", "/load_voice", slow=True, json={"voice_id": voice_id})

    def clear_voice(self) -> CurrentClearedBody:
        """Forget the current voice (idempotent): unnamed requests speak in the built-in one."""
        return self._json("DELETE", "/load_voice")

    def delete_voice(self, voice_id: str) -> VoiceDeletedBody:
        return self._json("DELETE", f"/voices/{voice_id}")

    def voice_audio(self, voice_id: str) -> bytes:
        return self._send("GET", f"/voices/{voice_id}/audio").content

    def update_voice(self, voice_id: str, changes: VoiceChanges) -> VoiceBody:
        """Rename a library voice and/or set its language (None clears it); the rest stays."""
        return self._json("PATCH", f"/voices/{voice_id}", json=dict(changes))

    # -- speech ----------------------------------------------------------------------------
    def speak(
        self,
        text: str,
        voice: str | None,
        params: dict[str, Any],
        fmt: str = "wav",
        model: str | None = None,
        language: str | None = None,
    ) -> Speech:
        body = {"text": text, "voice": voice, "format": fmt, **params}
        body |= {key: value for key, value in (("model", model), ("language", language)) if value}
        return _speech(self._send("POST", "/tts", slow=True, json=body))

    def convert_voice(
        self, filename: str, data: bytes, voice: str, fmt: str = "wav", model: str | None = None
    ) -> Speech:
        """The recording re-spoken in `voice`: the same words and timing (/voice-conversion)."""
        files = {"file": (filename, data)}
        form = _form(voice=voice, format=fmt, model=model)
        return _speech(self._send("POST", "/voice-conversion", slow=True, files=files, data=form))

    # -- documents and jobs ----------------------------------------------------------------
    def preview_pdf(
        self, filename: str, data: bytes, pages: str | None = None, password: str | None = None
    ) -> PdfPreviewBody:
        form = _form(pages=pages, password=password)
        files = {"file": (filename, data, "application/pdf")}
        return self._json("POST", "/pdf/preview", slow=True, files=files, data=form)

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
        language: str | None = None,
    ) -> JobBody:
        form = _form(text=text, title=title, voice=voice, pages=pages, password=password)
        form.update(_form(model=model, language=language))
        form.update(_form(**(params or {})))
        files = {"file": (pdf[0], pdf[1], "application/pdf")} if pdf else None
        return self._json("POST", "/jobs", slow=True, data=form, files=files)

    def jobs(self) -> JobSummaries:
        return self._json("GET", "/jobs")["jobs"]

    def job(self, job_id: str) -> JobBody:
        return self._json("GET", f"/jobs/{job_id}")

    def job_scenes(self, job_id: str, after: int = 0, limit: int = 100) -> ScenesPageBody:
        """A page of the job's scenes (idx > after), with the job itself and where to go on."""
        params = {"after": after, "limit": limit}
        return self._json("GET", f"/jobs/{job_id}/scenes", params=params)

    def cancel_job(self, job_id: str) -> JobBody:
        return self._json("POST", f"/jobs/{job_id}/cancel")

    def retry_job(self, job_id: str) -> JobRetriedBody:
        return self._json("POST", f"/jobs/{job_id}/retry")

    def delete_job(self, job_id: str) -> JobDeletedBody:
        return self._json("DELETE", f"/jobs/{job_id}", slow=True)

    def scene_audio(self, job_id: str, index: int) -> bytes:
        return self._send("GET", f"/jobs/{job_id}/scenes/{index}/audio").content

    def scene_image(self, job_id: str, index: int) -> bytes:
        return self._send("GET", f"/jobs/{job_id}/scenes/{index}/image").content

    def job_audio(self, job_id: str, fmt: str = "mp3") -> bytes:
        path = f"/jobs/{job_id}/audio"
        return self._send("GET", path, slow=True, params={"format": fmt}).content

    def job_report(self, job_id: str) -> JobReportBody:
        """The finished narration's mastering report (measured once, then cached)."""
        return self._json("GET", f"/jobs/{job_id}/report", slow=True)

    def put_cover(self, job_id: str, filename: str, data: bytes) -> JobBody:
        """Make the image (PNG or JPEG) the job's cover; the M4B and MP3 carry it."""
        files = {"file": (filename, data)}
        return self._json("PUT", f"/jobs/{job_id}/cover", slow=True, files=files)

    def job_cover(self, job_id: str) -> bytes:
        return self._send("GET", f"/jobs/{job_id}/cover").content

    def job_subtitles(self, job_id: str, fmt: str = "vtt", level: str = "sentence") -> bytes:
        params = {"format": fmt, "level": level}
        return self._send("GET", f"/jobs/{job_id}/subtitles", params=params).content

    # -- the queue -------------------------------------------------------------------------
    def job_list(self) -> JobListBody:
        """GET /jobs whole: the jobs (newest first) and `paused_all`."""
        return self._json("GET", "/jobs")

    def reorder_jobs(self, order: list[str]) -> JobListBody:  # the unfinished jobs, first first
        return self._json("PUT", "/jobs/queue", json={"order": order})

    def pause_job(self, job_id: str) -> JobBody:
        return self._json("POST", f"/jobs/{job_id}/pause")

    def resume_job(self, job_id: str) -> JobBody:
        return self._json("POST", f"/jobs/{job_id}/resume")

    def pause_all(self) -> PausedAllBody:  # and the model unloaded (`unload`: what it freed)
        return self._json("POST", "/jobs/pause-all", slow=True)

    def resume_all(self) -> ResumedAllBody:
        return self._json("POST", "/jobs/resume-all")

    # -- one scene's takes -----------------------------------------------------------------
    def edit_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> SceneBody:
        body = _present(text=text, params=params)
        return self._json("PATCH", f"/jobs/{job_id}/scenes/{index}", json=body)

    def regenerate_scene(
        self, job_id: str, index: int, text: str | None = None, params: dict[str, Any] | None = None
    ) -> TakeQueuedBody:
        """A new take queued (with the edit, if any, stored first): 202 {request, scene}."""
        body = _present(text=text, params=params)
        return self._json("POST", f"/jobs/{job_id}/scenes/{index}/takes", json=body)

    def regenerate_stale(self, job_id: str) -> StaleQueuedBody:
        return self._json("POST", f"/jobs/{job_id}/scenes/stale/takes")

    def scene_takes(self, job_id: str, index: int) -> TakeListBody:
        return self._json("GET", f"/jobs/{job_id}/scenes/{index}/takes")

    def take_audio(self, job_id: str, index: int, take: int) -> bytes:
        return self._send("GET", f"/jobs/{job_id}/scenes/{index}/takes/{take}/audio").content

    def choose_take(self, job_id: str, index: int, take: int) -> SceneBody:  # re-assembles
        path = f"/jobs/{job_id}/scenes/{index}/take"
        return self._json("PUT", path, slow=True, json={"take": take})

    # -- the lexicon -----------------------------------------------------------------------
    def lexicon(self, job_id: str | None = None) -> LexiconBody:
        return self._json("GET", _lexicon_path(job_id))

    def put_lexicon_entry(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        job_id: str | None = None,
    ) -> LexiconSavedBody:
        """Add or change an entry: {entry, stale_scenes} (the scenes it made stale)."""
        body = _present(respelling=respelling, phonemes=phonemes)
        return self._json("PUT", _lexicon_path(job_id, word), json=body)

    def delete_lexicon_entry(self, word: str, job_id: str | None = None) -> LexiconDeletedBody:
        return self._json("DELETE", _lexicon_path(job_id, word))

    def audition(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        sentence: str | None = None,
        voice: str | None = None,
    ) -> Speech:
        """One sentence spoken with the entry (a default one around the word if none)."""
        body = {"word": word} | _present(
            respelling=respelling, phonemes=phonemes, sentence=sentence, voice=voice
        )
        return _speech(self._send("POST", "/lexicon/audition", slow=True, json=body))

    # -- the pull workers ------------------------------------------------------------------
    def workers(self) -> WorkerListBody:
        """The workers heard from since the server started: name, engine, scenes, leases."""
        return self._json("GET", "/workers")

    # -- plumbing --------------------------------------------------------------------------
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _send(
        self, method: str, path: str, *, slow: bool = False, accept=(), **kwargs: Any
    ) -> requests.Response:
        url = self.base_url + path
        timeout = (5.0, self.slow_timeout if slow else self.timeout)
        try:
            response = self._http.request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout:
            raise ApiError(
                "server_timeout",
                f"The narration server at {self.base_url} did not answer in time.",
                "It may be busy with a long synthesis; wait a moment and try again.",
            ) from None
        except requests.RequestException:
            raise unreachable(self.base_url) from None
        if response.ok or response.status_code in accept:
            return response
        raise _error_of(response)


def unreachable(base_url: str) -> ApiError:
    return ApiError(
        UNREACHABLE,
        f"The narration server at {base_url} is not answering.",
        "Start it with start_linux.sh or start_windows.bat (or `python -m backend`). "
        "This page checks again every few seconds and carries on by itself.",
        base_url=base_url,
    )


def _error_of(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or "error" not in body:
        return ApiError(
            "unexpected_response",
            f"The server answered {response.status_code} without an explanation.",
            "Check the server's console for details.",
            response.status_code,
        )
    details = {key: value for key, value in body.items() if key not in BODY_KEYS}
    return ApiError(
        body["error"],
        body.get("message", ""),
        body.get("solution", ""),
        response.status_code,
        details=details,
    )


def _speech(response: requests.Response) -> Speech:
    headers = response.headers
    seconds = headers.get("X-Audio-Seconds")
    return Speech(
        response.content,
        model=headers.get("X-TTS-Model"),
        voice=headers.get("X-Voice"),
        seconds=float(seconds) if seconds else None,
        tags_removed=_listed(headers.get("X-Tags-Removed")),
        params_ignored=_listed(headers.get("X-Params-Ignored")),
    )


def _listed(header: str | None) -> tuple[str, ...]:
    """A comma list header as its items, each once, in order."""
    items = (item.strip() for item in (header or "").split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _form(**fields: Any) -> dict[str, str]:
    """Form fields for multipart requests: None is left out, everything else sent as text."""
    return {key: str(value) for key, value in fields.items() if value is not None}


def _present(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields given: None is left out (the server keeps what it has)."""
    return {key: value for key, value in fields.items() if value is not None}


def _lexicon_path(job_id: str | None, word: str | None = None) -> str:
    base = f"/jobs/{job_id}/lexicon" if job_id else "/lexicon"
    return f"{base}/{quote(word, safe='')}" if word is not None else base

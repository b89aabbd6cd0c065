"""The few /jobs and /health calls the command line makes, with the server's JSON errors
(error, message, solution) turned into NarrateError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from backend.cli.errors import NarrateError
from backend.core import atomic

SAVED_MODE = 0o644  # an audiobook others on the machine (a media server) may read
QUICK = (5.0, 30.0)  # connect, read (seconds)
# An upload waits for its first page to be read; a download may wait for a long encode.
SLOW = (10.0, 3600.0)
# Errors that every book of a run would meet the same way: the run stops at the first.
REQUEST_WIDE = frozenset(
    {
        "token_required",
        "host_not_allowed",
        "cross_site_request",
        "voice_not_found",
        "voice_cloning_unavailable",
        "voice_too_short_for_model",
        "model_not_found",
        "model_not_installed",
        "unsupported_language",
        "environment_not_setup",
    }
)


class Client:
    """The narration server at `base_url` (no trailing /), with its API token where one is set."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self._http = requests.Session()
        if token:
            self._http.headers["Authorization"] = f"Bearer {token}"

    def answers(self) -> bool:
        """True when a narration server answers /health here (healthy or not set up)."""
        try:
            body = self._http.get(f"{self.base_url}/health", timeout=(2.0, 10.0)).json()
        except (requests.RequestException, ValueError):
            return False
        return isinstance(body, dict) and "status" in body

    def check_format(self, fmt: str) -> None:
        """Refuse now a download format the server will not make, rather than after the
        narration: the format is checked before the (here missing) job is looked up."""
        try:
            self._send("GET", "/jobs/-/audio", params={"format": fmt})
        except NarrateError as error:
            if error.code == "job_not_found":
                return
            error.fatal = True
            raise

    def create_job(self, source: Path, form: dict[str, str]) -> dict[str, Any]:
        """POST /jobs with the book uploaded as it is (the server reads every format, plain
        text included, through its document reader)."""
        fields = dict(form)
        with source.open("rb") as handle:
            files = {"file": (source.name, handle)}
            return self._send("POST", "/jobs", data=fields, files=files, timeout=SLOW).json()

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job without its scenes, or None when the server has no such job."""
        try:
            page = self._send("GET", f"/jobs/{job_id}/scenes", params={"limit": 1}).json()
        except NarrateError as error:
            if error.code == "job_not_found":
                return None
            raise
        return page["job"]

    def retry(self, job_id: str) -> dict[str, Any]:
        return self._send("POST", f"/jobs/{job_id}/retry").json()["job"]

    def download(self, job_id: str, fmt: str, out: Path) -> None:
        """The finished narration as `fmt`, written whole to `out` (or not at all)."""
        path = f"/jobs/{job_id}/audio"
        response = self._send("GET", path, params={"format": fmt}, timeout=SLOW, stream=True)
        out.parent.mkdir(parents=True, exist_ok=True)

        def write(handle: Any) -> None:
            for block in response.iter_content(1 << 20):
                handle.write(block)

        with response:
            atomic.write_atomic(out, write)
        out.chmod(SAVED_MODE)  # the user's file, not a private temporary one (mkstemp's 0600)

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", QUICK)
        try:
            response = self._http.request(method, self.base_url + path, **kwargs)
        except requests.Timeout:
            raise NarrateError(
                "server_timeout",
                f"The narration server at {self.base_url} did not answer in time.",
                "It may be busy; run the same command again in a moment (it picks up its jobs).",
                fatal=True,
            ) from None
        except requests.RequestException:
            raise unreachable(self.base_url) from None
        if response.ok:
            return response
        raise error_of(response)


def unreachable(base_url: str) -> NarrateError:
    return NarrateError(
        "server_unreachable",
        f"The narration server at {base_url} is not answering.",
        "Start it (start_linux.sh, start_windows.bat or `python -m backend`), or leave "
        "CHATTERBOX_URL and --server unset so that this command starts one for itself.",
        fatal=True,
    )


def error_of(response: requests.Response) -> NarrateError:
    """The server's JSON error as a NarrateError; a body without one says so."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "error" not in body:
        return NarrateError(
            "unexpected_response",
            f"The server answered {response.status_code} without an explanation.",
            "Check the server's console for details.",
        )
    code = str(body["error"])
    return NarrateError(
        code,
        str(body.get("message") or f"The server refused the request ({code})."),
        str(body.get("solution") or ""),
        fatal=code in REQUEST_WIDE,
    )

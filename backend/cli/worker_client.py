"""CoordinatorClient: the worker's side of the worker routes (the only module that knows their
URLs). Each call answers in the coordinator's terms: a Claim or None, a renewed deadline, or
LeaseGone; a coordinator that cannot be reached or answers 5xx raises Unreachable, which the
worker waits out (backend.cli.worker_pull)."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

QUICK = (5.0, 30.0)  # connect, read: seconds
UPLOAD = (5.0, 120.0)


class Unreachable(Exception):
    """The coordinator is down, restarting, or behind a network that stalls: try again later."""


class LeaseGone(Exception):
    """409: the lease is not this worker's any more; drop the scene."""


class Refused(Exception):
    """A 4xx other than 409: this worker is misconfigured (its token) or sent something wrong."""

    def __init__(self, status: int, body: dict[str, Any]):
        self.status = status
        self.body = body
        super().__init__(f"{status} {body.get('error')}: {body.get('message')}")


class CoordinatorClient:
    def __init__(self, base_url: str, token: str):
        self.base_url = base_url.rstrip("/")
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"

    def claim(self, worker: str, engine: str) -> dict[str, Any] | None:
        response = self._send("POST", "/workers/claim", json={"worker": worker, "engine": engine})
        return None if response.status_code == 204 else response.json()

    def renew(self, lease: str) -> float:
        return self._send("POST", f"/workers/leases/{lease}/renew").json()["deadline"]

    def voice(self, lease: str) -> tuple[bytes, str]:
        response = self._send("GET", f"/workers/leases/{lease}/voice", timeout=UPLOAD)
        return response.content, response.headers.get("X-Voice-SHA256", "")

    def submit(
        self, lease: str, wav: bytes, engine_seconds: float, similarity: float | None
    ) -> dict[str, Any]:
        headers = {
            "Content-Type": "audio/wav",
            "X-Audio-SHA256": hashlib.sha256(wav).hexdigest(),
            "X-Engine-Seconds": f"{engine_seconds:.6f}",
        }
        if similarity is not None:
            headers["X-Speaker-Similarity"] = f"{similarity:.6f}"
        path = f"/workers/leases/{lease}/audio"
        return self._send("PUT", path, data=wav, headers=headers, timeout=UPLOAD).json()

    def fail(self, lease: str, code: str, message: str) -> None:
        body = {"code": code, "message": message[:500] or code}
        self._send("POST", f"/workers/leases/{lease}/fail", json=body)

    def release(self, lease: str) -> None:
        self._send("POST", f"/workers/leases/{lease}/release")

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", QUICK)
        try:
            response = self._http.request(method, self.base_url + path, **kwargs)
        except requests.RequestException as exc:
            raise Unreachable(f"{self.base_url}: {type(exc).__name__}") from None
        if response.status_code >= 500 and _code(response) != "workers_disabled":
            raise Unreachable(f"{self.base_url} answered {response.status_code}")
        if response.status_code == 409:
            raise LeaseGone(path)
        if response.status_code >= 400:
            raise Refused(response.status_code, _body(response))
        return response


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _code(response: requests.Response) -> str | None:
    return _body(response).get("error")

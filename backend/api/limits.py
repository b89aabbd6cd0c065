"""Request body limits enforced while the body streams in, before anything is parsed.

A declared Content-Length over the limit is refused at once; a body without one (chunked) is
counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import error_response
from backend.core.errors import UploadTooLarge

PDF_UPLOAD_SOLUTION = (
    "Save only the pages you want to narrate, or split the PDF into smaller files and narrate "
    "each as its own job; or raise CHATTERBOX_MAX_UPLOAD_MB and restart the server."
)
COVER_UPLOAD_SOLUTION = (
    "Scale the cover image down (1400-3000 pixels square suits audiobook players) or save it "
    "as a JPEG."
)
TEXT_BODY_SOLUTION = "Send less text per request; narrate long documents as a job."


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, upload_limit: int, json_limit: int):
        self.app = app
        self.upload_limit = upload_limit
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        # Files: multipart forms, and a worker's scene audio (PUT /workers/leases/{id}/audio).
        is_upload = headers.get(b"content-type", b"").startswith((b"multipart/", b"audio/"))
        limit = self.upload_limit if is_upload else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, is_upload)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app's own reaction to the aborted body is replaced by our 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, limit, is_upload)

    @staticmethod
    async def _refuse(
        scope: Scope, receive: Receive, send: Send, limit: int, is_upload: bool
    ) -> None:
        what = "upload" if is_upload else "request body"
        error = UploadTooLarge(
            f"The {what} is larger than the limit of {limit / 1048576:.1f} MB.",
            solution=_solution(scope["path"]) if is_upload else TEXT_BODY_SOLUTION,
        )
        response = error_response(error, scope["path"])
        response.headers["connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _solution(path: str) -> str | None:
    """PDF advice for the PDF uploads (/jobs, /api/upload, /pdf/...), image advice for a job's
    cover; None keeps the voice-clip advice."""
    if path.startswith("/jobs/") and path.endswith("/cover"):
        return COVER_UPLOAD_SOLUTION
    if path in ("/jobs", "/api/upload") or path.startswith(("/jobs/", "/pdf/")):
        return PDF_UPLOAD_SOLUTION
    return None

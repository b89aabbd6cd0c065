"""The one error path at the HTTP edge: every AppError, validation error and stray exception
becomes {"error", "message", "solution"} JSON with the right status.

Under /v1/ (the OpenAI-compatible routes) the same error is written in OpenAI's envelope,
{"error": {"message", "type", "param", "code", "solution"}}, which OpenAI clients parse; the
status and the code are the same as everywhere else."""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.core.errors import AppError, InternalError, InvalidRequest

log = logging.getLogger(__name__)

_HTTP_CODES = {
    404: ("not_found", "There is no such endpoint.", "See the API documentation at /docs."),
    405: ("method_not_allowed", "That method is not allowed here.", "See /docs for the methods."),
}


OPENAI_PREFIX = "/v1/"
_OPENAI_TYPES = {401: "authentication_error", 429: "rate_limit_error"}


def error_response(error: AppError, path: str = "") -> JSONResponse:
    """The JSON response for `error` on a request to `path` (which picks the dialect)."""
    headers = (
        {"Retry-After": str(error.extra["retry_after"])} if "retry_after" in error.extra else None
    )
    return JSONResponse(error_body(error, path), status_code=error.status_code, headers=headers)


def error_body(error: AppError, path: str) -> dict:
    """The JSON body of `error`: OpenAI's envelope under /v1/, the plain one elsewhere."""
    if not path.startswith(OPENAI_PREFIX):
        return error.to_dict()
    status = error.status_code
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    extra = {key: value for key, value in error.extra.items() if key != "param"}
    return {
        "error": {
            "message": error.message,
            "type": kind,
            "param": error.extra.get("param"),
            "code": error.code,
            "solution": error.solution,
            **extra,
        }
    }


class HttpError(AppError):
    """A routing-level refusal (no such endpoint, wrong method) in the one error shape."""

    def __init__(self, status: int, code: str, message: str, solution: str):
        super().__init__(message, solution)
        self.status_code = status  # type: ignore[misc]  # per instance: the status varies
        self.code = code  # type: ignore[misc]


def install_error_handlers(app: FastAPI, debug: bool) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e["loc"] if p != "body") or "body" for e in exc.errors()]
        problems = [f"{name}: {e['msg']}" for name, e in zip(fields, exc.errors(), strict=True)]
        # A field with a fixed set of values (a format, a mode) gets them in the solution.
        choices = [
            f"{name} takes {e['ctx']['expected']}"
            for name, e in zip(fields, exc.errors(), strict=True)
            if e["type"] == "literal_error" and "expected" in e.get("ctx", {})
        ]
        solution = InvalidRequest.default_solution
        if choices:
            solution = f"{solution.removesuffix('.')}: {'; '.join(choices)}."
        error = InvalidRequest(f"The request is not valid: {'; '.join(problems)}.", solution)
        if request.url.path.startswith(OPENAI_PREFIX) and fields:
            error.extra["param"] = fields[0]
        return error_response(error, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message, solution = _HTTP_CODES.get(
            exc.status_code, ("http_error", str(exc.detail), "Check the request against /docs.")
        )
        error = HttpError(exc.status_code, code, message, solution)
        response = error_response(error, request.url.path)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        error = InternalError()
        if debug:
            error.extra["traceback"] = traceback.format_exception(exc)
        return error_response(error, request.url.path)

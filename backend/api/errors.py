"""The one error path at the HTTP edge: every AppError, validation error and stray exception
becomes {"error", "message", "solution"} JSON with the right status."""

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


def error_response(error: AppError) -> JSONResponse:
    headers = (
        {"Retry-After": str(error.extra["retry_after"])} if "retry_after" in error.extra else None
    )
    return JSONResponse(error.to_dict(), status_code=error.status_code, headers=headers)


def install_error_handlers(app: FastAPI, debug: bool) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        ]
        error = InvalidRequest(f"The request is not valid: {'; '.join(problems)}.")
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message, solution = _HTTP_CODES.get(
            exc.status_code, ("http_error", str(exc.detail), "Check the request against /docs.")
        )
        body = {"error": code, "message": message, "solution": solution}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        error = InternalError()
        if debug:
            error.extra["traceback"] = traceback.format_exception(exc)
        return error_response(error)

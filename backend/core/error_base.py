"""The base of every error a client sees (backend.core.errors gathers them all)."""

from __future__ import annotations

from typing import ClassVar


class AppError(Exception):
    """Base of every error a client sees: {"error": code, "message": ..., "solution": ...}."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "The server hit an unexpected problem."
    default_solution: ClassVar[str] = "Try again; if it keeps happening, check the server log."

    def __init__(self, message: str | None = None, solution: str | None = None, **extra: object):
        self.message = message or self.default_message
        self.solution = solution or self.default_solution
        self.extra = extra
        super().__init__(self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": self.code,
            "message": self.message,
            "solution": self.solution,
            **self.extra,
        }

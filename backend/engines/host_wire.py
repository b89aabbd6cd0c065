"""What crosses the pipe between the server and its engine host: requests, replies, audio as
float32 buffers, and errors as the domain classes they were raised as.

Both sides import this module and nothing else of each other. A request is `(op, args)`; a reply
is `(ok, value, facts)` where `facts` (device, rate, loaded, memory, info, the host's RSS) ride
on every reply, so the server answers /health from the last reply without asking the host.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.core.errors import AppError
from backend.core.speech import Audio, Mark


@dataclass(frozen=True)
class WireAudio:
    """Audio on the pipe: the raw float32 bytes and the rate (no per-sample pickling)."""

    buffer: bytes
    sample_rate: int
    marks: tuple[Mark, ...] | None = None  # plain frozen dataclasses: they pickle as they are


@dataclass(frozen=True)
class HostHandle:
    """A voice handle that lives in the host: which host made it (`generation`) and its token.
    The handle itself (Chatterbox's conditionals: tensors) never leaves the host."""

    generation: int
    token: int


@dataclass(frozen=True)
class WireError:
    """An exception raised in the host. An AppError keeps its class and fields; anything else
    becomes HostCallFailed with the original type's name."""

    module: str
    qualname: str
    fields: dict[str, Any]
    text: str


class HostCallFailed(RuntimeError):
    """A non-domain exception raised inside the host (its type named in the message)."""


def to_wire(value: Any) -> Any:
    if isinstance(value, Audio):
        samples = np.ascontiguousarray(value.samples, dtype=np.float32)
        return WireAudio(samples.tobytes(), int(value.sample_rate), value.marks)
    if isinstance(value, tuple):
        return tuple(to_wire(item) for item in value)
    return value


def from_wire(value: Any) -> Any:
    if isinstance(value, WireAudio):
        samples = np.frombuffer(value.buffer, dtype=np.float32).copy()
        return Audio(samples, value.sample_rate, value.marks)
    if isinstance(value, tuple):
        return tuple(from_wire(item) for item in value)
    return value


def error_to_wire(exc: BaseException) -> WireError:
    cls = type(exc)
    if isinstance(exc, AppError):
        fields = {"message": exc.message, "solution": exc.solution, "extra": dict(exc.extra)}
        return WireError(cls.__module__, cls.__qualname__, fields, str(exc))
    return WireError(cls.__module__, cls.__qualname__, {}, f"{cls.__name__}: {exc}")


def error_from_wire(wire: WireError) -> Exception:
    """The host's exception, raised again on this side: the same AppError class with the same
    message, solution and extras (so the API's error contract holds across the pipe)."""
    cls: Any = None
    try:
        cls = importlib.import_module(wire.module)
        for part in wire.qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        cls = None
    if isinstance(cls, type) and issubclass(cls, AppError) and "message" in wire.fields:
        fields = wire.fields
        return cls(fields["message"], fields["solution"], **fields["extra"])
    return HostCallFailed(wire.text)

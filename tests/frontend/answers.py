"""Holds a StudioApi answer to the server's response model: checked key for key, both ways.

Every key the model requires must be there (validation sees to it; a key with a default may be
absent, e.g. a scene's quality holds only the checks that ran) and no key it does not name may
be, at any depth. A model with
extra="allow" (health, model status and unload) lets the server add keys; here an added key
still fails, so the fake and the models keep up with what the server sends.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ValidationError

import backend.api
from frontend.api_protocol import Answer, StudioApi

# Every backend/api/schemas_<resource>.py, those a new route brings included.
SCHEMA_MODULES = [
    importlib.import_module(f"backend.api.{info.name}")
    for info in pkgutil.iter_modules(backend.api.__path__)
    if info.name.startswith("schemas_")
]
MODELS: dict[str, type[BaseModel]] = {
    name: value
    for module in SCHEMA_MODULES
    for name, value in vars(module).items()
    if isinstance(value, type) and issubclass(value, BaseModel)
}


def answer_of(method: str) -> Answer | None:
    """The Answer the protocol's return type names for `method` (None: it returns bytes)."""
    hint = typing.get_type_hints(getattr(StudioApi, method), include_extras=True)["return"]
    return next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Answer)), None)


def conforms(method: str, answer: Any, extras: Collection[str] = ()) -> None:
    """`answer` validates against exactly one of the models the protocol names for `method`,
    holding every key the model names and none it does not (bar the top level's `extras`)."""
    answer_type = answer_of(method)
    assert answer_type is not None, f"{method} answers bytes, not JSON"
    for item in answer if isinstance(answer, list) else [answer]:
        fits, failures = [], []
        for name in answer_type.models:
            try:
                fits.append(MODELS[name].model_validate(item))
            except ValidationError as error:
                failures.append(str(error))
        assert fits, f"{method}: fits none of {answer_type.models}: {failures}"
        assert len(fits) == 1, f"{method}: fits {len(fits)} of {answer_type.models}: {item}"
        _exact(fits[0], method, extras)


def _exact(model: BaseModel, where: str, extras: Collection[str] = ()) -> None:
    unnamed = set(model.model_extra or ()) - set(extras)
    assert not unnamed, f"{where}: keys {type(model).__name__} does not name: {sorted(unnamed)}"
    for name in model.model_fields_set:
        _walk(getattr(model, name), f"{where}.{name}")


def _walk(value: Any, where: str) -> None:
    if isinstance(value, BaseModel):
        _exact(value, where)
    elif isinstance(value, list | tuple):
        for number, item in enumerate(value):
            _walk(item, f"{where}[{number}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{where}.{key}")

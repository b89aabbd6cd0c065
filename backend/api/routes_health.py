"""GET /health: can the server serve, with which engine and device, and how much memory is used.

It needs no token, so a server with a token tells a caller without it only whether it serves
(`status`, `model_loaded`) and its `limits`: no paths, memory figures or engine details.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.api.deps import ManagerDep, SettingsDep
from backend.api.errors import error_response
from backend.api.schemas_health import HEALTH_RESPONSES, Health, HealthOutline
from backend.core.errors import AppError
from backend.core.memory import system_ram
from backend.core.settings import Settings
from backend.engines.manager import ModelManager

router = APIRouter(tags=["health"])
MEMORY_KEYS = (
    "rss_bytes",
    "vram_allocated_bytes",
    "vram_reserved_bytes",
    "vram_free_bytes",
    "vram_total_bytes",
)


@router.get("/health", response_model=Health | HealthOutline, responses=HEALTH_RESPONSES)
async def health(
    request: Request, manager: ManagerDep, settings: SettingsDep
) -> dict[str, Any] | JSONResponse:
    """Whether the server can serve: the model's state, engine, device, memory and limits;
    without the token (when the server has one) only the outline."""
    engine = manager
    # The access middleware records whether the request carried the token.
    if settings.api_token is not None and not getattr(request.state, "authenticated", False):
        return _outline(manager, settings)
    try:
        engine.check_environment()
    except AppError as exc:
        exc.extra.setdefault("engine", engine.name)
        exc.extra.setdefault("limits", limits(settings))  # a front end always learns the limits
        return error_response(exc)
    status = manager.status()
    memory = {key: status.pop(key) for key in MEMORY_KEYS}
    body = {
        "status": "healthy",
        **status,
        "can_clone": engine.capabilities.can_clone,
        "has_builtin_voice": engine.capabilities.has_builtin_voice,
        "models": manager.models(),
        "tags": list(engine.capabilities.tags),
        "languages": list(engine.capabilities.languages),
        "ignored_params": list(engine.capabilities.ignored_params),
        "min_reference_seconds": engine.capabilities.min_reference_seconds,
        "can_convert_voice": engine.capabilities.can_convert_voice,
        "sample_rate": engine.sample_rate,
        "memory": {**memory, **system_ram()},
        **engine.info(),
        "limits": limits(settings),
    }
    return body


def _outline(manager: ModelManager, settings: Settings) -> dict[str, Any] | JSONResponse:
    """The health answer for a caller without the token: serving or not, and the limits."""
    try:
        manager.check_environment()
    except AppError:
        body = {"status": "unavailable", "model_loaded": False, "limits": limits(settings)}
        return JSONResponse(body, status_code=503)
    body = {"status": "healthy", "model_loaded": manager.status()["model_loaded"]}
    return {**body, "limits": limits(settings)}


def limits(settings: Settings) -> dict[str, int | float]:
    """What a client may send: upload size, text lengths, clip seconds and PDF pages."""
    return {
        "max_upload_bytes": settings.max_upload_bytes,
        "max_upload_mb": settings.max_upload_mb,
        "max_text_chars": settings.max_text_chars,
        "max_job_chars": settings.max_job_chars,
        "voice_min_seconds": settings.voice_min_seconds,
        "voice_max_seconds": settings.voice_max_seconds,
        "max_pdf_pages": settings.max_pdf_pages,
    }

"""GET /health: can the server serve, with which engine and device, and how much memory is used."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from backend.api.deps import get_manager
from backend.api.errors import error_response
from backend.core.errors import AppError
from backend.core.memory import system_ram
from backend.engines.manager import ModelManager

router = APIRouter(tags=["health"])
MEMORY_KEYS = ("rss_bytes", "vram_allocated_bytes", "vram_reserved_bytes")


@router.get("/health")
async def health(manager: ModelManager = Depends(get_manager)) -> JSONResponse:
    engine = manager.engine
    try:
        engine.check_environment()
    except AppError as exc:
        exc.extra.setdefault("engine", engine.name)
        return error_response(exc)
    status = manager.status()
    memory = {key: status.pop(key) for key in MEMORY_KEYS}
    body = {
        "status": "healthy",
        **status,
        "can_clone": engine.capabilities.can_clone,
        "has_builtin_voice": engine.capabilities.has_builtin_voice,
        "sample_rate": engine.sample_rate,
        "memory": {**memory, **system_ram()},
        **engine.info(),
    }
    return JSONResponse(body)

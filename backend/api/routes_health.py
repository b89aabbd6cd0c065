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


@router.get("/health")
async def health(manager: ModelManager = Depends(get_manager)) -> JSONResponse:
    engine = manager.engine
    try:
        engine.check_environment()
    except AppError as exc:
        exc.extra.setdefault("engine", engine.name)
        return error_response(exc)
    status = manager.status()
    body = {
        "status": "healthy",
        **status,
        "can_clone": engine.capabilities.can_clone,
        "has_builtin_voice": engine.capabilities.has_builtin_voice,
        "sample_rate": engine.sample_rate,
        "memory": {
            "rss_bytes": status["rss_bytes"],
            **system_ram(),
            "vram_allocated_bytes": status["vram_allocated_bytes"],
            "vram_reserved_bytes": status["vram_reserved_bytes"],
        },
        **engine.info(),
    }
    return JSONResponse(body)

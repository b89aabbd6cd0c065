"""POST /model/load and /model/unload: explicit control of the resident model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from backend.api.deps import get_manager
from backend.engines.manager import ModelManager

router = APIRouter(prefix="/model", tags=["model"])


@router.get("/status")
async def model_status(manager: ModelManager = Depends(get_manager)) -> dict[str, Any]:
    return manager.status()


@router.post("/load")
async def load_model(manager: ModelManager = Depends(get_manager)) -> dict[str, Any]:
    """Load now (no-op when loaded). Waits for the load; errors are 503 with a solution."""
    return await manager.load()


@router.post("/unload")
async def unload_model(manager: ModelManager = Depends(get_manager)) -> dict[str, Any]:
    """Unload after running work finishes; reports memory before, after, and what was freed."""
    return await manager.unload()

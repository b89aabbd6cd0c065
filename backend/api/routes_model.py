"""POST /model/load and /model/unload: explicit control of the resident model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import ManagerDep
from backend.api.schemas_model import ModelStatus, ModelUnload

router = APIRouter(prefix="/model", tags=["model"])


@router.get("/status", response_model=ModelStatus)
async def model_status(manager: ManagerDep) -> dict[str, Any]:
    return manager.status()


@router.post("/load", response_model=ModelStatus)
async def load_model(manager: ManagerDep) -> dict[str, Any]:
    """Load now (no-op when loaded). Waits for the load; errors are 503 with a solution."""
    return await manager.load()


@router.post("/unload", response_model=ModelUnload)
async def unload_model(manager: ManagerDep) -> dict[str, Any]:
    """Unload after running work finishes; reports memory before, after, and what was freed."""
    return await manager.unload()

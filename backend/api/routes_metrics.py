"""GET /metrics: the narration work in the Prometheus text format (backend.jobs.metrics), for
Prometheus, KEDA's metrics-api scaler and people. The API token or the worker token opens it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend.api.deps import RunnerDep
from backend.jobs.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(runner: RunnerDep) -> Response:
    """Scenes pending and running, scenes and engine seconds per worker, lease expiries, queue
    wait, and the coordinator's own time per worker request."""
    return Response(runner.metrics.render(), media_type=CONTENT_TYPE)

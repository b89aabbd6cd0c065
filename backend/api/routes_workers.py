"""Workers that pull scenes over HTTP (/workers/claim, /workers/leases/{lease}/...), and who
they are (GET /workers). The worker routes take the worker token, not the API token
(backend.api.deps.require_worker); backend.jobs.dispatch owns what they do."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import RunnerDep, SettingsDep, require_worker
from backend.api.schemas_workers import (
    ClaimPublic,
    ClaimRequest,
    FailedPublic,
    FailRequest,
    LeasePublic,
    ReleasedPublic,
    SubmittedPublic,
    WorkerList,
)
from backend.core.errors import InvalidRequest

router = APIRouter(prefix="/workers", tags=["workers"])
leases = APIRouter(prefix="/workers", tags=["workers"], dependencies=[Depends(require_worker)])
WAV = {"content": {"audio/wav": {}}, "description": "The scene's voice clip."}


@leases.post(
    "/claim",
    response_model=ClaimPublic,
    responses={204: {"description": "Nothing is waiting: claim again later."}},
)
def claim_scene(body: ClaimRequest, runner: RunnerDep) -> Any:
    """The next scene for this worker's engine, leased to it; 204 when none is waiting."""
    with runner.metrics.step("claim"):
        claim = runner.dispatch.claim(body.worker, body.engine)
        if claim is None:
            return Response(status_code=204)
        lease = claim.lease
        return {
            "lease": lease.id,
            "job_id": lease.job_id,
            "idx": lease.idx,
            "text": claim.text,
            "params": claim.params,
            "model": claim.model,
            "voice": claim.voice,
            "lease_seconds": claim.lease_seconds,
            "deadline": lease.deadline,
        }


@leases.post("/leases/{lease}/renew", response_model=LeasePublic)
def renew_lease(lease: str, runner: RunnerDep) -> dict[str, float]:
    """A new deadline, lease_seconds from now; 409 lease_lost: drop the scene."""
    with runner.metrics.step("renew"):
        renewed = runner.dispatch.renew(lease)
        return {"deadline": renewed.deadline, "lease_seconds": runner.dispatch.seconds}


@leases.get("/leases/{lease}/voice", response_class=FileResponse, responses={200: WAV})
def lease_voice(lease: str, runner: RunnerDep) -> FileResponse:
    """The reference clip of the scene this lease holds (a worker sees no other job's files)."""
    with runner.metrics.step("voice"):
        path, sha = runner.dispatch.voice_file(lease)
        return FileResponse(path, media_type="audio/wav", headers={"X-Voice-SHA256": sha})


@leases.put("/leases/{lease}/audio", response_model=SubmittedPublic)
async def submit_audio(
    lease: str,
    request: Request,
    runner: RunnerDep,
    sha256: Annotated[str, Header(alias="X-Audio-SHA256", pattern=r"^[0-9a-fA-F]{64}$")],
    engine_seconds: Annotated[float, Header(alias="X-Engine-Seconds", ge=0)] = 0.0,
    similarity: Annotated[float | None, Header(alias="X-Speaker-Similarity")] = None,
) -> dict[str, Any]:
    """The scene's audio (a WAV body): its first take, stored once; 409 lease_lost when the
    lease is no longer this worker's (nothing changes), the same answer again for a repeat."""
    with runner.metrics.step("submit"):
        if not math.isfinite(engine_seconds) or (
            similarity is not None and not math.isfinite(similarity)
        ):
            raise InvalidRequest("X-Engine-Seconds and X-Speaker-Similarity must be numbers.")
        body = await request.body()
        return await run_in_threadpool(
            runner.dispatch.submit, lease, body, sha256, engine_seconds, similarity
        )


@leases.post("/leases/{lease}/release", response_model=ReleasedPublic)
def release_lease(lease: str, runner: RunnerDep) -> dict[str, bool]:
    """Give the scene back (the worker is stopping): pending again, for the next claim."""
    with runner.metrics.step("release"):
        return {"released": runner.dispatch.release(lease)}


@leases.post("/leases/{lease}/fail", response_model=FailedPublic)
def fail_lease(lease: str, body: FailRequest, runner: RunnerDep) -> dict[str, bool]:
    """The worker's engine could not speak the scene: it fails with this reason, as a scene the
    server's own engine fails does (Retry speaks it again); 409 lease_lost if not held."""
    with runner.metrics.step("release"):
        runner.dispatch.fail(lease, body.code, body.message)
        return {"failed": True}


@router.get("", response_model=WorkerList)
def list_workers(runner: RunnerDep, settings: SettingsDep) -> dict[str, Any]:
    """The workers heard from since the server started, with the scenes each holds and did, and
    whether any can connect (a worker token is set)."""
    return {"enabled": settings.worker_token is not None, "workers": runner.dispatch.workers()}

"""Dependencies: how routes reach the objects the lifespan built (never module globals).

Routes take the `...Dep` aliases (`settings: SettingsDep`), so each dependency is named once here.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from backend.core.errors import WorkersDisabled, WorkerTokenRequired
from backend.core.settings import Settings
from backend.engines.manager import ModelManager
from backend.jobs.lexicon import Lexicon
from backend.jobs.store import JobStore
from backend.jobs.worker import JobRunner
from backend.speaking.speaker import Speaker
from backend.voices.store import VoiceStore


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_manager(request: Request) -> ModelManager:
    return request.app.state.manager


def get_store(request: Request) -> VoiceStore:
    return request.app.state.store


def get_speaker(request: Request) -> Speaker:
    return request.app.state.speaker


def get_runner(request: Request) -> JobRunner:
    return request.app.state.jobs


def get_job_store(request: Request) -> JobStore:
    return request.app.state.jobs.store


def get_lexicon(request: Request) -> Lexicon:
    return request.app.state.lexicon


def require_worker(request: Request) -> None:
    """The worker routes' own check: the worker token as 'Authorization: Bearer <token>' (the
    API token opens nothing here, and this token opens nothing else but /metrics)."""
    token = request.app.state.settings.worker_token
    if token is None:
        raise WorkersDisabled()
    scheme, _, offered = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), expected):
        raise WorkerTokenRequired()


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[ModelManager, Depends(get_manager)]
VoiceStoreDep = Annotated[VoiceStore, Depends(get_store)]
SpeakerDep = Annotated[Speaker, Depends(get_speaker)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
JobStoreDep = Annotated[JobStore, Depends(get_job_store)]
LexiconDep = Annotated[Lexicon, Depends(get_lexicon)]

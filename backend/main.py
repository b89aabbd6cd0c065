"""The FastAPI application: `create_app(settings, engine)` and its lifespan.

The lifespan builds the one ModelManager (and the voice store and speaker) and puts them on
app.state; routes reach them through backend.api.deps. There is no module-level app: run it with
`python -m backend` or `uvicorn --factory backend.main:create_app`, so importing this module
builds nothing and reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import (
    routes_conversion,
    routes_covers,
    routes_edusmart,
    routes_health,
    routes_jobs,
    routes_lexicon,
    routes_metrics,
    routes_model,
    routes_openai,
    routes_pdf,
    routes_queue,
    routes_report,
    routes_scenes,
    routes_subtitles,
    routes_takes,
    routes_tts,
    routes_voices,
    routes_workers,
)
from backend.api.access import AccessMiddleware
from backend.api.errors import install_error_handlers
from backend.api.limits import BodyLimitMiddleware
from backend.api.schemas import ERROR_RESPONSES
from backend.core.logging import configure_logging
from backend.core.settings import Settings
from backend.engines.base import Engine
from backend.engines.catalog import Catalog
from backend.engines.manager import ModelManager
from backend.engines.select import build_catalog
from backend.jobs import pdf_pool
from backend.jobs.lexicon import Lexicon
from backend.jobs.store import JobStore
from backend.jobs.worker import JobRunner
from backend.speaking.speaker import Speaker
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 1024 * 1024


def create_app(settings: Settings | None = None, engine: Engine | Catalog | None = None) -> FastAPI:
    """The server; `engine` (tests' fakes, or a catalog of them) instead of the settings' own."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        if problem := settings.exposure_problem():
            raise RuntimeError(problem)  # uvicorn reports it and does not start
        manager = ModelManager(
            engine or build_catalog(settings),
            keep_alive=settings.keep_alive,
            max_waiting=settings.max_waiting_requests,
            switch=settings.model_switch == "on",
        )
        app.state.settings = settings
        pdf_pool.configure(settings.pdf_memory_mb, settings.first_page_timeout_seconds)
        app.state.manager = manager
        app.state.store = VoiceStore(settings.voices_dir, settings.voice_import_dir)
        app.state.speaker = Speaker(manager, settings)
        app.state.jobs = JobRunner(JobStore(settings.jobs_db), manager, app.state.store, settings)
        app.state.lexicon = Lexicon(settings.jobs_db)  # its own connection on the jobs file
        log.info(
            "Engine %s (%s) on %s; keep_alive=%s",
            manager.name,
            manager.model,
            manager.device,
            settings.keep_alive,
        )
        manager.start_background_import()
        # Under "pause all and free the GPU" (backend.jobs.queue) the model stays unloaded.
        paused_all = app.state.jobs.queue.paused_all()
        if settings.load_on_startup and settings.keep_alive != 0 and not paused_all:
            manager.start_background_load()
        app.state.jobs.start()  # resumes unfinished jobs from their first unfinished scene
        try:
            yield
        finally:
            # Jobs stop first (a running take may finish and is recorded), then the model
            # (queued calls are dropped: their scenes stay pending), then the store, last.
            app.state.jobs.stop()
            manager.close()
            pdf_pool.POOL.close()  # idle PDF readers; the synthesis thread has stopped
            app.state.jobs.close()
            app.state.lexicon.close()

    app = FastAPI(
        title="Chatterbox Studio",
        version="0.1.0",
        summary="Local voice-cloning narration server.",
        lifespan=lifespan,
        debug=False,
        responses=ERROR_RESPONSES,  # one error body, documented on every operation
    )
    install_error_handlers(app, settings.debug)
    routes = (
        routes_health,
        routes_model,
        routes_voices,
        routes_tts,
        routes_conversion,
        routes_queue,
        routes_jobs,
        routes_report,
        routes_covers,
        routes_pdf,
        routes_subtitles,
        routes_edusmart,
        routes_lexicon,
        routes_metrics,
    )
    for module in (*routes, routes_openai):
        app.include_router(module.router)
    app.include_router(routes_takes.router)  # before routes_scenes: /scenes/stale/takes
    app.include_router(routes_scenes.router)
    app.include_router(routes_workers.leases)  # the worker token's routes
    app.include_router(routes_workers.router)
    app.add_middleware(EngineHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, upload_limit=settings.max_upload_bytes, json_limit=JSON_BODY_LIMIT
    )
    app.add_middleware(AccessMiddleware, settings=settings)  # outermost: checked first
    return app


class EngineHeadersMiddleware:
    """Every response says which engine and device serve (X-TTS-Engine, X-TTS-Device)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            manager = getattr(scope["app"].state, "manager", None)
            if message["type"] == "http.response.start" and manager is not None:
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-tts-engine", manager.name.encode()),
                    (b"x-tts-device", manager.device.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""Dependencies: how routes reach the objects the lifespan built (never module globals)."""

from __future__ import annotations

from fastapi import Request

from backend.core.settings import Settings
from backend.engines.manager import ModelManager
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

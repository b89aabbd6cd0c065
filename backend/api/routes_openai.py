"""The OpenAI-compatible speech API (/v1): POST /v1/audio/speech, GET /v1/models and
GET /v1/audio/voices, so tools written for OpenAI's TTS (the openai package, Open WebUI,
SillyTavern, Home Assistant) can use this server by changing only their base URL.

Speech always streams, as OpenAI's does: the response starts when the first sentence has been
synthesised and each later chunk is sent as soon as it is ready. Errors before the first byte are
JSON in OpenAI's envelope (see api/errors.py); an error after it ends the stream early (for
stream_format=sse, with an "error" event).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep, SpeakerDep, VoiceStoreDep
from backend.api.errors import error_body
from backend.api.routes_tts import model_headers
from backend.api.schemas import OPENAI_ERROR_RESPONSES, SpeechRequest
from backend.api.schemas_openai import OpenAIModel, OpenAIModelList, OpenAIVoiceList
from backend.audio.encode import FORMATS, Encoder, format_headers
from backend.core.errors import AppError, SynthesisFailed, VoiceNotFound
from backend.core.speech import Audio, Capabilities, SynthesisParams
from backend.engines.manager import ModelManager
from backend.speaking.prepare import prepare
from backend.voices.resolve import BUILTIN, Resolved, resolve, warning_headers
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["openai"], responses=OPENAI_ERROR_RESPONSES)

# OpenAI's model names; each means "the engine this server runs".
MODEL_ALIASES = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
# OpenAI's voice names: unless a library voice or an alias has the name, each speaks in the
# server's current voice (the one /load_voice chose, else the engine's built-in voice).
OPENAI_VOICES = (
    "alloy", "ash", "ballad", "cedar", "coral", "echo", "fable",
    "marin", "nova", "onyx", "sage", "shimmer", "verse",
)  # fmt: skip
_STARTED = int(time.time())


@router.post(
    "/audio/speech",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The speech, streamed as it is made: the file's bytes, or (for "
            "stream_format=sse) speech.audio.delta events and a final speech.audio.done.",
            "content": {t: {} for t in {*FORMATS.values(), "text/event-stream"}},
        }
    },
)
async def create_speech(
    body: SpeechRequest, speaker: SpeakerDep, store: VoiceStoreDep, settings: SettingsDep
) -> StreamingResponse:
    manager = speaker.manager
    key = openai_model(body.model, manager)
    caps = manager.capabilities_for(key)
    voice = openai_voice(body.voice_name, store, caps, settings.voice_aliases)
    params = SynthesisParams(rate=body.speed, language=body.language)
    ready = prepare(manager, body.input, params, key, voice.ref)
    pieces = speaker.stream(ready.text, voice.ref, ready.params, ready.model)
    first = await anext(pieces)  # errors up to here are JSON; the response starts after it
    encoder = Encoder(body.response_format, first.sample_rate)
    chunks = _encoded(first, pieces, encoder)
    headers = {
        "X-Voice": voice.voice_id,
        **warning_headers(voice),
        **format_headers(body.response_format, encoder.rate),
        **model_headers(ready),
        "Cache-Control": "no-store",
    }
    if body.stream_format == "sse":
        return StreamingResponse(_events(chunks), media_type="text/event-stream", headers=headers)
    return StreamingResponse(chunks, media_type=FORMATS[body.response_format], headers=headers)


@router.get("/models", response_model=OpenAIModelList)
async def list_models(speaker: SpeakerDep) -> dict[str, Any]:
    """The models this server can speak with, under their real names (a request naming one
    that is not loaded switches to it), and OpenAI's names for the loaded one."""
    names = [model["id"] for model in speaker.manager.models()]
    return {"object": "list", "data": [_model(name) for name in [*names, *MODEL_ALIASES]]}


@router.get("/models/{model}", response_model=OpenAIModel)
async def get_model(model: str, speaker: SpeakerDep) -> dict[str, Any]:
    key = openai_model(model, speaker.manager)
    return _model(model if key is None else speaker.manager.catalog.model_id(key))


@router.get("/audio/voices", response_model=OpenAIVoiceList)
async def list_voices(
    speaker: SpeakerDep, store: VoiceStoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Every name `voice` accepts: the engine's own voices (built-in, Piper voice models),
    library voices (id and name), aliases, OpenAI's names."""
    engine = speaker.manager
    caps = engine.capabilities
    names = {voice["id"]: voice.get("name") or voice["id"] for voice in store.list()}
    voices = [{"id": BUILTIN, "name": "Built-in voice"}] if caps.has_builtin_voice else []
    voices += [{"id": name, "name": f"{name} ({engine.name} voice)"} for name in caps.voices]
    voices += [{"id": voice_id, "name": name} for voice_id, name in names.items()]
    voices += [{"id": alias, "name": f"{alias} ({target})"} for alias, target in
               sorted(settings.voice_aliases.items())]  # fmt: skip
    try:  # the voice OpenAI's names really speak in: a stale current voice is passed over
        current = resolve(None, store, caps, settings.voice_aliases).voice_id
    except AppError:  # no current voice and no built-in one: naming one fails the same way
        current = BUILTIN
    voices += [
        {"id": name, "name": f"{name} (the current voice, {current})"}
        for name in OPENAI_VOICES
        if name not in names and name not in settings.voice_aliases and name not in caps.voices
    ]
    return {"voices": voices}


def openai_model(model: str, manager: ModelManager) -> str | None:
    """The catalog key a /v1 `model` names: None (the loaded model) for OpenAI's names, else a
    model of this server by key or real name; ModelNotFound (404) listing them otherwise."""
    if model in MODEL_ALIASES:
        return None
    return manager.model_key(model)


def openai_voice(
    requested: str, store: VoiceStore, caps: Capabilities, aliases: dict[str, str]
) -> Resolved:
    """`resolve`, but an unclaimed OpenAI voice name means the current voice (passed over with
    a warning, for the built-in voice, when the engine cannot speak it)."""
    try:
        return resolve(requested, store, caps, aliases)
    except VoiceNotFound as error:
        if requested.strip().lower() not in OPENAI_VOICES:
            error.extra["param"] = "voice"
            raise
    return resolve(None, store, caps, aliases)


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _STARTED, "owned_by": "chatterbox-studio"}


async def _encoded(
    first: Audio, rest: AsyncIterator[Audio], encoder: Encoder
) -> AsyncIterator[bytes]:
    """The encoded stream: `first`, then each later piece as it is synthesised."""
    try:
        if data := await run_in_threadpool(encoder.feed, first.samples):
            yield data
        async for piece in rest:
            if data := await run_in_threadpool(encoder.feed, piece.samples):
                yield data
        if data := await run_in_threadpool(encoder.finish):
            yield data
    finally:
        await rest.aclose()  # a client that left: no further chunk is synthesised
        encoder.close()


async def _events(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Server-sent events as OpenAI sends them: speech.audio.delta with base64 audio, then
    speech.audio.done; an error after the stream started becomes an "error" event."""
    try:
        async for data in chunks:
            delta = {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()}
            yield f"data: {json.dumps(delta)}\n\n"
    except Exception as exc:
        error = exc if isinstance(exc, AppError) else SynthesisFailed(str(exc)[:200])
        log.warning("Speech stream stopped early: %s", error.message)
        yield f"data: {json.dumps({'type': 'error', **error_body(error, '/v1/')})}\n\n"
        return
    yield f"data: {json.dumps({'type': 'speech.audio.done'})}\n\n"

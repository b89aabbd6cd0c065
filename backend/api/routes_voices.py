"""The voice library (/voices) and the server's current voice (/load_voice, /load_voice_upload)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep, VoiceStoreDep
from backend.api.schemas import LoadVoiceRequest
from backend.api.schemas_voices import (
    CurrentCleared,
    CurrentVoice,
    Voice,
    VoiceDeleted,
    VoiceList,
    VoiceUpdate,
)
from backend.core import models
from backend.core.errors import (
    InvalidRequest,
    NoVoiceLoaded,
    UnknownVoiceId,
    VoiceCloningUnavailable,
)
from backend.core.settings import Settings
from backend.engines.manager import ModelManager
from backend.speaking.prepare import unsupported
from backend.voices.resolve import resolve, unknown_voice
from backend.voices.store import VoiceStore
from backend.voices.validate import validate_reference

router = APIRouter(tags=["voices"])
# A voice's meta.json may lack a key an older server did not write: send only the keys it holds.
ONLY_SET = {"response_model_exclude_unset": True}


@router.get("/voices", response_model=VoiceList, **ONLY_SET)
async def list_voices(
    store: VoiceStoreDep, manager: ManagerDep, settings: SettingsDep
) -> dict[str, Any]:
    """The library, the current voice (and, when the engine cannot speak it, why: the same
    warning /tts sends as X-Voice-Warning), the engine's own named voices (Piper voice models,
    selectable by id wherever a voice is asked for), aliases, and whether the engine can clone."""
    caps = manager.capabilities
    try:
        warning = resolve(None, store, caps, settings.voice_aliases).warning
    except NoVoiceLoaded:
        warning = None
    return {
        "voices": store.list(),
        "current": store.current(),
        "current_warning": warning,
        "builtin_available": caps.has_builtin_voice,
        "engine_voices": [{"id": name, "name": name} for name in caps.voices],
        "can_clone": caps.can_clone,
        "aliases": settings.voice_aliases,
    }


@router.post("/voices", status_code=201, response_model=Voice, **ONLY_SET)
async def upload_voice(
    store: VoiceStoreDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="WAV, MP3, FLAC, OGG, WebM or MP4; 3-60 s of speech"),
    name: str | None = Form(None, max_length=100),
    language: str | None = Form(
        None, max_length=10, description="What the clip speaks (ISO 639-1); default: English"
    ),
) -> dict[str, Any]:
    """Add a reference clip to the library (works with every engine). Its `language` lets the
    Multilingual model keep the voice's accent out of another language (cfg_weight 0)."""
    return await _add_upload(file, name, store, settings, language)


@router.get(
    "/voices/{voice_id}/audio",
    response_class=FileResponse,
    responses={200: {"description": "The reference clip (WAV)", "content": {"audio/wav": {}}}},
)
async def voice_audio(voice_id: str, store: VoiceStoreDep) -> FileResponse:
    """The library voice's stored reference clip, as the WAV it was saved as (every engine)."""
    ref = store.ref(voice_id)  # UnknownVoiceId (404) for an unknown id
    if not ref.audio_path.is_file():
        raise UnknownVoiceId(
            f"The voice '{voice_id}' has lost its reference clip ({ref.audio_path.name}).",
            "Delete the voice (DELETE /voices/{id}) and upload its clip again.",
        )
    return FileResponse(ref.audio_path, media_type="audio/wav", filename=f"{voice_id}.wav")


@router.patch("/voices/{voice_id}", response_model=Voice, **ONLY_SET)
async def update_voice(voice_id: str, body: VoiceUpdate, store: VoiceStoreDep) -> dict[str, Any]:
    """Rename a library voice and/or set its language (null clears it); a field left out keeps
    its value. The id and the clip stay as they are, so the engine's embedding of it stays
    valid. The name and the language are checked as POST /voices checks them."""
    changes = body.changes()
    if not changes:
        raise InvalidRequest(
            "The request changes nothing: it gives neither a name nor a language.",
            'Send "name" (1-100 characters) and/or "language" (an ISO 639-1 code such as de, '
            "or null to clear it).",
        )
    if "language" in changes:
        changes["language"] = _language(changes["language"])
    return await run_in_threadpool(store.update, voice_id, changes)


@router.delete("/voices/{voice_id}", response_model=VoiceDeleted)
async def delete_voice(voice_id: str, store: VoiceStoreDep) -> dict[str, Any]:
    store.delete(voice_id)
    return {"deleted": voice_id, "current": store.current()}


@router.post("/load_voice", response_model=CurrentVoice, **ONLY_SET)
async def load_voice(
    request: LoadVoiceRequest, store: VoiceStoreDep, manager: ManagerDep, settings: SettingsDep
) -> dict[str, Any]:
    """Make a library voice (by voice_id) or a file in the store/import folder (by path) current.

    What is asked for is checked first (an unknown id is 400 voice_not_found, a bad path the one
    400 voice_file_not_found), then whether the engine can clone (400 voice_cloning_unavailable),
    so every engine answers a path that does not exist the same way.
    """
    if request.voice_id is not None:
        try:
            voice_id = store.get(request.voice_id)["id"]
        except UnknownVoiceId:
            caps = manager.capabilities
            raise unknown_voice(request.voice_id, store, caps, settings.voice_aliases) from None
        _require_cloning(manager)
    else:
        path = store.resolve_path(request.path or "")
        voice_id = store.voice_id_for_path(path)
        _require_cloning(manager)  # before an import-folder clip is read or added
        if voice_id is None:  # a clip in the import folder: validate it into the library
            data = await run_in_threadpool(path.read_bytes)
            audio, meta = await run_in_threadpool(validate_reference, data, path.name, settings)
            voice_id = store.add(path.stem, audio, meta)["id"]
    return await _make_current(voice_id, store, manager)


@router.delete("/load_voice", summary="Clear the current voice", response_model=CurrentCleared)
async def clear_current_voice(store: VoiceStoreDep) -> dict[str, Any]:
    """Forget the current voice, on every engine: requests that name no voice (and OpenAI's voice
    names) speak in the built-in voice again. Idempotent; the library keeps the voice."""
    await run_in_threadpool(store.set_current, None)
    return {"current": None}


@router.post("/load_voice_upload", response_model=CurrentVoice, **ONLY_SET)
async def load_voice_upload(
    store: VoiceStoreDep,
    manager: ManagerDep,
    settings: SettingsDep,
    file: UploadFile = File(...),
    name: str | None = Form(None, max_length=100),
) -> dict[str, Any]:
    """Add a clip to the library and make it the current voice in one step."""
    _require_cloning(manager)
    voice = await _add_upload(file, name, store, settings)
    return await _make_current(voice["id"], store, manager)


async def _add_upload(
    file: UploadFile,
    name: str | None,
    store: VoiceStore,
    settings: Settings,
    language: str | None = None,
) -> dict[str, Any]:
    language = _language(language)
    filename = file.filename or ""
    data = await file.read()
    audio, meta = await run_in_threadpool(
        validate_reference, data, filename, settings, content_type=file.content_type
    )
    label = (name or "").strip() or filename.rsplit(".", 1)[0] or "voice"
    if language is not None:
        meta = {**meta, "language": language}
    return await run_in_threadpool(store.add, label, audio, meta)


def _language(language: str | None) -> str | None:
    """A voice's language code, lower-cased; 422 unsupported_language (listing the codes)
    unless the Multilingual model speaks it."""
    if language is None:
        return None
    language = language.strip().lower()
    if language not in models.LANGUAGES:
        raise unsupported(language, models.MULTILINGUAL.key, "A voice", tuple(models.LANGUAGES))
    return language


async def _make_current(voice_id: str, store: VoiceStore, manager: ModelManager) -> dict[str, Any]:
    ref = store.ref(voice_id)
    await manager.run(lambda engine: engine.prepare_voice(ref))  # embed now, not on first /tts
    store.set_current(voice_id)
    return {"current": voice_id, "voice": store.get(voice_id)}


def _require_cloning(manager: ModelManager) -> None:
    if not manager.capabilities.can_clone:
        raise VoiceCloningUnavailable()

"""POST /voice-conversion: a recording re-spoken in a library voice, with the same words and
timing (Chatterbox's S3Gen, over the weights of the resident model: nothing more is loaded)."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep, VoiceStoreDep
from backend.api.schemas import AudioFormat
from backend.audio.encode import FORMATS, encode, encoded_rate, format_headers
from backend.core.errors import VoiceConversionUnavailable
from backend.core.speech import VoiceRef
from backend.engines.manager import ModelManager
from backend.speaking.prepare import check_reference
from backend.voices.resolve import resolve, warning_headers
from backend.voices.validate import decode_recording

router = APIRouter(tags=["voice conversion"])

SOURCE_RATE = 24000  # what the recording is decoded to; S3Gen resamples it to 16 kHz itself


@router.post(
    "/voice-conversion",
    response_class=Response,
    responses={
        200: {
            "description": "The recording in the voice asked for, as long as the upload; "
            "X-Voice names the voice, X-TTS-Model the model whose S3Gen spoke.",
            "content": {t: {} for t in FORMATS.values()},
        }
    },
)
async def convert_voice(
    manager: ManagerDep,
    store: VoiceStoreDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="The recording: WAV, MP3, FLAC, OGG, WebM or MP4"),
    voice: str = Form(..., max_length=200, description="Library voice id or name, or an alias"),
    format: AudioFormat = Form("wav"),
    model: str | None = Form(None, max_length=100, description="Default: the loaded model"),
) -> Response:
    """Re-voice a recording: the same upload limits and errors as POST /voices. Without
    `model`, the loaded model converts, or the first Chatterbox model installed when the loaded
    engine cannot (Piper)."""
    key = converting_model(manager, model)
    caps = manager.capabilities_for(key)
    target = resolve(voice, store, caps, settings.voice_aliases)
    if isinstance(target.ref, VoiceRef):
        check_reference(target.ref, caps, manager.catalog.title(key or manager.model))
    data = await file.read()
    source = await run_in_threadpool(
        decode_recording, data, file.filename or "", settings, SOURCE_RATE, file.content_type
    )
    ref = target.ref
    with manager.admit():
        audio = await manager.run(
            lambda engine: engine.convert_voice(source, engine.prepare_voice(ref)),
            deadline=settings.scene_timeout_seconds,
            model=key,
        )
    body = await run_in_threadpool(encode, audio, format)
    return Response(
        body,
        media_type=FORMATS[format],
        headers={
            "X-Voice": target.voice_id,
            **warning_headers(target),
            **format_headers(format, encoded_rate(format, audio.sample_rate)),
            "X-Audio-Seconds": f"{audio.seconds:.3f}",
            "X-TTS-Model": caps.model or (key or manager.model),
            "Content-Disposition": f'inline; filename="converted.{format}"',
        },
    )


def converting_model(manager: ModelManager, model: str | None) -> str | None:
    """The catalog key that converts: the one named, the loaded one when it can, else the first
    installed that can; VoiceConversionUnavailable when none can."""
    if model:
        key = manager.model_key(model)
        if not manager.capabilities_for(key).can_convert_voice:
            raise VoiceConversionUnavailable(
                f"{manager.catalog.title(key)} cannot re-voice a recording."
            )
        return key
    if manager.capabilities.can_convert_voice:
        return None
    for key in manager.catalog:
        if manager.capabilities_for(key).can_convert_voice:
            return key
    raise VoiceConversionUnavailable()

"""POST /tts: text in, audio bytes out, in the requested format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep, SpeakerDep, VoiceStoreDep
from backend.api.schemas import TTSRequest
from backend.audio.encode import FORMATS, encode, encoded_rate, format_headers
from backend.speaking.prepare import Prepared, prepare
from backend.voices.resolve import resolve, warning_headers

router = APIRouter(tags=["tts"])


@router.post(
    "/tts",
    response_class=Response,
    responses={
        200: {
            "description": "The speech, in the requested format; X-Voice names the voice that "
            "spoke, X-Voice-Warning (if sent) why it is not the one asked for, X-Audio-Seconds "
            "its length, X-TTS-Model the model that spoke, X-Tags-Removed the bracketed tags "
            "taken out for a model that would read them aloud, X-Params-Ignored the knobs the "
            "model ignores.",
            "content": {t: {} for t in FORMATS.values()},
        }
    },
)
async def tts(
    body: TTSRequest, speaker: SpeakerDep, store: VoiceStoreDep, settings: SettingsDep
) -> Response:
    """Speak `text`. Without `voice`, the current voice speaks; one the engine cannot speak is
    passed over for the built-in voice, and X-Voice-Warning says why."""
    manager = speaker.manager
    key = manager.model_key(body.model) if body.model else None
    caps = manager.capabilities_for(key)
    voice = resolve(body.voice, store, caps, settings.voice_aliases)
    ready = prepare(manager, body.text, body.params(), body.model, voice.ref)
    audio = await speaker.speak(ready.text, voice.ref, ready.params, ready.model)
    data = await run_in_threadpool(encode, audio, body.format)
    return Response(
        data,
        media_type=FORMATS[body.format],
        headers={
            "X-Voice": voice.voice_id,
            **warning_headers(voice),
            **format_headers(body.format, encoded_rate(body.format, audio.sample_rate)),
            "X-Audio-Seconds": f"{audio.seconds:.3f}",
            **model_headers(ready),
            "Content-Disposition": f'inline; filename="speech.{body.format}"',
        },
    )


def model_headers(ready: Prepared) -> dict[str, str]:
    """What the model did with the request: which spoke, which tags it left out, which knobs it
    ignored (for /tts and /v1)."""
    headers = {"X-TTS-Model": ready.caps.model or ready.model}
    if ready.removed_tags:
        headers["X-Tags-Removed"] = ", ".join(ready.removed_tags)
    if ready.ignored_params:
        headers["X-Params-Ignored"] = ", ".join(ready.ignored_params)
    if ready.cfg_zeroed:
        headers["X-CFG-Weight"] = "0 (the voice speaks another language: keeps its accent out)"
    return headers

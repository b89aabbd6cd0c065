"""The pronunciation lexicon: global entries (/lexicon), a job's own (/jobs/{id}/lexicon), and
an audition that speaks one sentence with an entry (POST /lexicon/audition)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from backend.api.deps import LexiconDep, SettingsDep, SpeakerDep, VoiceStoreDep
from backend.api.routes_tts import model_headers
from backend.api.schemas_lexicon import (
    AuditionRequest,
    LexiconChange,
    LexiconDeleted,
    LexiconList,
    LexiconPut,
)
from backend.audio.encode import FORMATS, encode, encoded_rate, format_headers
from backend.core.errors import LexiconEntryNotFound
from backend.core.speech import SynthesisParams
from backend.jobs.lexicon import GLOBAL, Lexicon
from backend.speaking.prepare import prepare
from backend.text.normalize_lexicon import LexiconEntry, checked
from backend.voices.resolve import resolve, warning_headers

router = APIRouter(tags=["lexicon"])


def _public(entry: LexiconEntry) -> dict[str, Any]:
    return {
        "word": entry.word,
        "respelling": entry.respelling,
        "phonemes": entry.phonemes,
        "updated_at": entry.updated_at,
    }


def _list(lexicon: Lexicon, scope: str) -> dict[str, Any]:
    return {"entries": [_public(entry) for entry in lexicon.entries(scope)]}


def _put(lexicon: Lexicon, scope: str, word: str, body: LexiconChange) -> dict[str, Any]:
    entry, stale = lexicon.put(scope, word, body.respelling, body.phonemes)
    return {"entry": _public(entry), "stale_scenes": stale}


def _delete(lexicon: Lexicon, scope: str, word: str) -> dict[str, Any]:
    deleted, stale = lexicon.delete(scope, word)
    return {"deleted": deleted, "stale_scenes": stale}


# Plain `def`s: FastAPI runs them in its thread pool, so no SQLite call blocks the event loop.
@router.get("/lexicon", response_model=LexiconList)
def list_global(lexicon: LexiconDep) -> dict[str, Any]:
    """The global entries, spoken in every job that has no entry of its own for the word."""
    return _list(lexicon, GLOBAL)


@router.put("/lexicon/{word}", response_model=LexiconPut)
def put_global(word: str, body: LexiconChange, lexicon: LexiconDep) -> dict[str, Any]:
    """Add or change a global entry; the scenes with audio that contain the word (in every job
    without its own entry for it) become stale."""
    return _put(lexicon, GLOBAL, word, body)


@router.delete("/lexicon/{word}", response_model=LexiconDeleted)
def delete_global(word: str, lexicon: LexiconDep) -> dict[str, Any]:
    """Remove a global entry; the scenes spoken with it become stale."""
    return _delete(lexicon, GLOBAL, word)


@router.get("/jobs/{job_id}/lexicon", response_model=LexiconList)
def list_job(job_id: str, lexicon: LexiconDep) -> dict[str, Any]:
    """The job's own entries (each wins over a global entry for the same word)."""
    return _list(lexicon, job_id)


@router.put("/jobs/{job_id}/lexicon/{word}", response_model=LexiconPut)
def put_job(job_id: str, word: str, body: LexiconChange, lexicon: LexiconDep) -> dict[str, Any]:
    """Add or change the job's entry; its scenes with audio that contain the word go stale."""
    return _put(lexicon, job_id, word, body)


@router.delete("/jobs/{job_id}/lexicon/{word}", response_model=LexiconDeleted)
def delete_job(job_id: str, word: str, lexicon: LexiconDep) -> dict[str, Any]:
    """Remove the job's entry; its scenes with the word go stale (a global entry, if any,
    speaks them next)."""
    return _delete(lexicon, job_id, word)


@router.post(
    "/lexicon/audition",
    response_class=Response,
    responses={
        200: {
            "description": "The sentence spoken with the entry; X-Spoken-Text is what the "
            "model read (percent-encoded UTF-8), X-Voice and X-TTS-Model as for /tts.",
            "content": {t: {} for t in FORMATS.values()},
        }
    },
)
async def audition(
    body: AuditionRequest,
    lexicon: LexiconDep,
    speaker: SpeakerDep,
    store: VoiceStoreDep,
    settings: SettingsDep,
) -> Response:
    """Speak one sentence with the entry in the body (respelling and/or phonemes), or without
    them with the global entry for the word, through the model like /tts. Nothing is stored."""
    entry = await run_in_threadpool(_audition_entry, lexicon, body)
    sentence = body.sentence or _sentence(entry.word)  # the speaker cleans it as for /tts
    manager = speaker.manager
    caps = manager.capabilities_for(manager.model_key(body.model) if body.model else None)
    voice = resolve(body.voice, store, caps, settings.voice_aliases)
    ready = prepare(
        manager, sentence, SynthesisParams(), body.model, voice.ref,
        lexicon={entry.word.lower(): entry},
    )  # fmt: skip
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
            "X-Spoken-Text": _header_text(ready.text),
            **model_headers(ready),
            "Content-Disposition": f'inline; filename="audition.{body.format}"',
        },
    )


def _audition_entry(lexicon: Lexicon, body: AuditionRequest) -> LexiconEntry:
    """The entry the body gives, else the stored global one for the word."""
    if body.respelling or body.phonemes:
        word, respelling, phonemes = checked(body.word, body.respelling, body.phonemes)
        return LexiconEntry(word, respelling, phonemes, updated_at="")
    wanted = body.word.strip().lower()
    found = lexicon.lexicon_for("").get(wanted)
    if found is None or found.scope != GLOBAL:
        raise LexiconEntryNotFound(
            f"'{body.word.strip()}' is not in the global lexicon, and the audition sent no "
            "respelling or phonemes.",
            solution='Send {"word": ..., "respelling": ...} (or "phonemes") to hear it before '
            "adding it, or add it first with PUT /lexicon/{word}.",
        )
    return found


def _sentence(word: str) -> str:
    return f"Here is how {word} sounds: {word}."


def _header_text(text: str) -> str:
    return quote(text[:500], safe=" ,.:;!?'-")

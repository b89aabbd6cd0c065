"""What a request says, made ready for one model: which model speaks, in which language, with
which tags, before any text is split or synthesised. Every refusal here is raised before the
model is switched or called, so a bad request costs nothing.

- The model: the request's `model` (a key or a real name), else the resident one. A language the
  model cannot speak moves the request to the Multilingual model when it was not named and is
  installed; otherwise 422 unsupported_language lists the codes.
- Tags: a model that reads them (Turbo) gets them as written, and an unknown one is refused with
  422 unknown_tag listing the known ones; any other model would read "[laugh]" aloud, so tags are
  removed and the response says which (`removed_tags`).
- A reference clip the model would reject (Turbo: 5 s or less) is refused with 422
  voice_too_short_for_model.
- The spoken text: the pronunciation lexicon's words replaced (backend.text.normalize_lexicon;
  Piper gets an entry's phonemes as a raw-phoneme block where it has them), then numbers, dates,
  units, abbreviations and addresses said in words of the language (backend.text.normalize):
  the Multilingual model reads digits in English or not at all, and every model misreads some.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from backend.core import models
from backend.core.errors import UnknownTag, UnsupportedLanguage
from backend.core.speech import Capabilities, EngineVoice, SynthesisParams, VoiceRef
from backend.engines.chatterbox_family import check_reference_length
from backend.engines.manager import ModelManager
from backend.text.normalize import normalize
from backend.text.normalize_lexicon import LexiconEntry, apply_lexicon
from backend.text.tags import strip_tags, unknown_tags

log = logging.getLogger(__name__)

PHONEME_ENGINES = ("piper",)  # engines that read "[[ phonemes ]]" (piper-tts 1.3)
_PHONEME_BLOCK = re.compile(r"(\[\[.*?\]\])", re.DOTALL)


@dataclass(frozen=True)
class Prepared:
    text: str
    model: str  # the catalog key that speaks
    caps: Capabilities
    params: SynthesisParams
    removed_tags: tuple[str, ...] = ()
    ignored_params: tuple[str, ...] = ()
    cfg_zeroed: bool = False  # cfg_weight set to 0: the voice speaks another language


def accent_free_cfg(
    caps: Capabilities, params: SynthesisParams, voice: VoiceRef | EngineVoice | None
) -> SynthesisParams | None:
    """The params with cfg_weight 0 when a multilingual model speaks a language other than the
    voice's (a library voice without a language counts as English) and the request left
    cfg_weight at its default: with guidance the reference's accent leaks into the target
    language. None when nothing changes."""
    if len(caps.languages) < 2 or params.cfg_weight != SynthesisParams().cfg_weight:
        return None
    voice_language = (voice.language if isinstance(voice, VoiceRef) else None) or "en"
    if params.language in (None, voice_language):
        return None
    return replace(params, cfg_weight=0.0)


def choose_model(manager: ModelManager, model: str | None, language: str | None) -> str:
    """The catalog key for a request's `model` and `language` (see the module docstring)."""
    key = manager.model_key(model) or manager.model
    caps = manager.capabilities_for(key)
    if language is None or language in caps.languages:
        return key
    other = models.MULTILINGUAL.key
    speaks = other in manager.catalog and language in manager.capabilities_for(other).languages
    if model is None and speaks:
        return other
    raise unsupported(language, key, manager.catalog.title(key), caps.languages)


def prepare(
    manager: ModelManager,
    text: str,
    params: SynthesisParams,
    model: str | None = None,
    voice: VoiceRef | EngineVoice | None = None,
    strict: bool = True,
    lexicon: Mapping[str, LexiconEntry] | None = None,
    speak: bool = True,
) -> Prepared:
    """`text` made ready for the model that will speak it (module docstring). `strict` False
    (a job's scene, already accepted) removes unknown tags instead of refusing them. `lexicon`
    (word -> entry, as backend.jobs.lexicon's `lexicon_for` gives) is applied before the text
    is normalised; `Prepared.text` is the text as spoken. `speak` False makes only the checks
    and leaves the text as written (POST /jobs checks a whole book, spoken scene by scene)."""
    language = params.language.strip().lower() if params.language else None
    key = choose_model(manager, model, language)
    caps = manager.capabilities_for(key)
    removed: tuple[str, ...] = ()
    if caps.tags:
        unknown = unknown_tags(text, caps.tags)
        if unknown and not strict:
            text, _ = strip_tags(text, keep=caps.tags)
            removed = tuple(unknown)
        elif unknown:
            raise UnknownTag(
                f"{manager.catalog.title(key)} does not know the tag"
                f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}.",
                known_tags=list(caps.tags),
                unknown_tags=unknown,
            )
    else:
        text, found = strip_tags(text)
        removed = tuple(found)
    if isinstance(voice, VoiceRef):
        check_reference(voice, caps, manager.catalog.title(key))
    phonemes = manager.catalog.model_id(key) in PHONEME_ENGINES
    if speak:
        text = spoken_text(text, language, lexicon, phonemes)
    if len(caps.languages) > 1 and language is None:
        language = "en"
    params = replace(params, language=language)
    accent_free = accent_free_cfg(caps, params, voice)
    ignored = tuple(name for name in caps.ignored_params if _changed(params, name))
    return Prepared(
        text, key, caps, accent_free or params, removed, ignored, accent_free is not None
    )


def spoken_text(
    text: str,
    language: str | None,
    lexicon: Mapping[str, LexiconEntry] | None = None,
    phonemes: bool = False,
) -> str:
    """`text` as spoken: the lexicon applied, then normalised with each phoneme block held
    aside as a capitalised placeholder word (so "Dr. [[ ... ]]" still reads as a title before
    a name) and put back unchanged."""
    if lexicon:
        text = apply_lexicon(text, lexicon, phonemes)
    blocks = _PHONEME_BLOCK.findall(text)
    if not blocks:
        return normalize(text, language)
    names = [_placeholder(i) for i in range(len(blocks))]
    held = _PHONEME_BLOCK.sub(lambda _m, it=iter(names): next(it), text)
    spoken = normalize(held, language)
    for name, block in zip(names, blocks, strict=True):
        spoken = spoken.replace(name, block, 1)
    return spoken


def _placeholder(index: int) -> str:
    """A letters-only word no rule rewrites and no text holds: Qxqphon, then b, c, ..."""
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters += chr(ord("a") + rest)
        if not index:
            return f"Qxqphon{letters}"


def check_reference(ref: VoiceRef, caps: Capabilities, title: str) -> None:
    """VoiceTooShortForModel for a clip not longer than the model's minimum."""
    check_reference_length(ref, caps.min_reference_seconds, title, caps.model)


def unsupported(
    language: str, key: str, title: str, languages: tuple[str, ...]
) -> UnsupportedLanguage:
    codes = list(languages)
    if key != models.MULTILINGUAL.key:
        solution = (
            f"{title} speaks {', '.join(codes)} only. For other languages install the "
            "Multilingual model (python setup_env.py --model multilingual), then send "
            f"model=multilingual and one of: {', '.join(models.LANGUAGES)}."
        )
    else:
        solution = f"Send one of: {', '.join(codes)}."
    return UnsupportedLanguage(
        f"{title} cannot speak '{language}'.", solution=solution, languages=codes
    )


def _changed(params: SynthesisParams, name: str) -> bool:
    """Whether the request set `name` away from its default (so ignoring it is worth saying)."""
    default = SynthesisParams()
    return getattr(params, name, None) != getattr(default, name, None)

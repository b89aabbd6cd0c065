"""The fake server's models: its catalog, the one loaded, switching, and each model's checks of a
request (backend/engines/manager.py and backend/speaking/prepare.py, in memory).

FakeApi keeps one FakeModels. A catalog key is one of the Chatterbox family (original, turbo,
multilingual), piper, or a test's own; `traits` says what each does, as /health would report it
once that model is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from frontend.languages import NAMES
from tests.frontend import server_errors

SWITCH_SECONDS = 4.2  # how long the fake's switch "took", as last_switch reports it
SWITCHED_AT = datetime(2026, 11, 21, 7, 30, tzinfo=UTC).isoformat()
TURBO_TAGS = ("[chuckle]", "[laugh]", "[sigh]")
TAG = re.compile(r"\[([A-Za-z][A-Za-z ]{0,30})\]")  # backend/text/tags.py
DEFAULTS = {"exaggeration": 0.5, "cfg_weight": 0.5}  # SynthesisParams' (what ignoring is told of)


@dataclass(frozen=True)
class Traits:
    model_id: str
    title: str
    can_clone: bool = True
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    ignored_params: tuple[str, ...] = ()
    min_reference_seconds: float = 0.0
    can_convert_voice: bool = True


FAMILY = {
    "original": Traits("chatterbox", "Chatterbox"),
    "turbo": Traits(
        "chatterbox-turbo",
        "Chatterbox Turbo",
        tags=TURBO_TAGS,
        ignored_params=("cfg_weight", "exaggeration"),
        min_reference_seconds=5.0,
    ),
    "multilingual": Traits(
        "chatterbox-multilingual", "Chatterbox Multilingual", languages=tuple(NAMES)
    ),
    "piper": Traits("piper", "Piper", can_clone=False, can_convert_voice=False),
}


@dataclass(frozen=True)
class Ready:
    """A request made ready for one model: the key that speaks, and what the headers say."""

    key: str
    language: str | None
    tags_removed: tuple[str, ...] = ()
    params_ignored: tuple[str, ...] = ()
    cfg_zeroed: bool = False  # another language than the voice's (taken as English): cfg 0


@dataclass
class FakeModels:
    """`catalog` None: one model, the engine's own (piper, or original for chatterbox)."""

    catalog: list[str] | None = None
    loaded: str | None = None
    model_switch: str = "on"
    switching: dict[str, Any] | None = None
    last_switch: dict[str, Any] | None = None
    switches: int = 0
    traits: dict[str, Traits] = field(default_factory=lambda: dict(FAMILY))

    def loaded_key(self, engine: str) -> str:
        return self.loaded or {"piper": "piper", "chatterbox": "original"}.get(engine, engine)

    def keys(self, engine: str) -> list[str]:
        return list(self.catalog) if self.catalog else [self.loaded_key(engine)]

    def of(self, key: str) -> Traits:
        return self.traits.get(key) or Traits(key, key)

    # -- what /health and /model/status say ----------------------------------------------------
    def status(self, engine: str) -> dict[str, Any]:
        return {
            "model": self.loaded_key(engine),
            "model_switch": self.model_switch,
            "switching": self.switching,
            "last_switch": self.last_switch,
            "switches": self.switches,
        }

    def health(self, engine: str, model_loaded: bool) -> dict[str, Any]:
        loaded = self.loaded_key(engine)
        traits = self.of(loaded)
        models = [
            {"key": key, "id": self.of(key).model_id, "title": self.of(key).title,
             "resident": key == loaded and model_loaded}
            for key in self.keys(engine)
        ]  # fmt: skip
        return {
            "models": models,
            "tags": list(traits.tags),
            "languages": list(traits.languages),
            "ignored_params": list(traits.ignored_params),
            "min_reference_seconds": traits.min_reference_seconds,
            "can_convert_voice": traits.can_convert_voice,
        }

    # -- a request's model ---------------------------------------------------------------------
    def key_of(self, name: str | None, engine: str) -> str:
        """The catalog key a request's model means (the loaded one for None); 404 otherwise."""
        if name is None:
            return self.loaded_key(engine)
        wanted = name.strip().lower()
        for key in self.keys(engine):
            if wanted in (key.lower(), self.of(key).model_id.lower()):
                return key
        ids = [self.of(key).model_id for key in self.keys(engine)]
        family = next((k for k, t in FAMILY.items() if wanted in (k, t.model_id)), None)
        raise server_errors.model_not_found(name, ids, family if family != "piper" else None)

    def prepare(
        self,
        engine: str,
        model: str | None,
        text: str,
        language: str | None,
        params: dict[str, Any],
        voice: tuple[str, float] | None = None,
    ) -> Ready:
        """The server's checks before anything is spoken, in its order: the model and the
        language, the tags, the voice's clip (`voice`: its id and seconds)."""
        language = language.strip().lower() if language else None
        key = self._choose(engine, model, language)
        traits = self.of(key)
        removed: tuple[str, ...] = ()
        found = [match.group(0) for match in TAG.finditer(text)]
        if traits.tags:
            known = {tag.lower() for tag in traits.tags}
            unknown = list(dict.fromkeys(t for t in found if t.lower() not in known))
            if unknown:
                raise server_errors.unknown_tag(traits.title, unknown, list(traits.tags))
        else:
            removed = tuple(found)
        self.check_reference(key, voice)
        if len(traits.languages) > 1 and language is None:
            language = "en"
        ignored = tuple(
            name
            for name in traits.ignored_params
            if params.get(name, DEFAULTS[name]) != DEFAULTS[name]
        )
        zeroed = (
            len(traits.languages) > 1
            and language not in (None, "en")
            and params.get("cfg_weight", DEFAULTS["cfg_weight"]) == DEFAULTS["cfg_weight"]
        )
        return Ready(key, language, removed, ignored, zeroed)

    def check_reference(self, key: str, voice: tuple[str, float] | None) -> None:
        """422 for a library voice (id, seconds) whose clip is too short for model `key`."""
        minimum = self.of(key).min_reference_seconds
        if voice is not None and minimum and voice[1] <= minimum:
            raise server_errors.voice_too_short_for_model(
                voice[0], voice[1], self.of(key).title, key, minimum
            )

    def _choose(self, engine: str, model: str | None, language: str | None) -> str:
        key = self.key_of(model, engine)
        traits = self.of(key)
        if language is None or language in traits.languages:
            return key
        other = "multilingual"
        if model is None and other in self.keys(engine) and language in self.of(other).languages:
            return other
        raise server_errors.unsupported_language(
            language, traits.title, list(traits.languages), key == other, list(NAMES)
        )

    def converting(self, engine: str, model: str | None) -> str:
        """The key that re-voices: the one named, the loaded one when it can, else the first
        that can (routes_conversion.converting_model)."""
        if model:
            key = self.key_of(model, engine)
            if not self.of(key).can_convert_voice:
                raise server_errors.voice_conversion_unavailable(self.of(key).title)
            return key
        loaded = self.loaded_key(engine)
        for key in [loaded, *self.keys(engine)]:
            if self.of(key).can_convert_voice:
                return key
        raise server_errors.voice_conversion_unavailable()

    def switch(self, engine: str, key: str) -> bool:
        """Make `key` the loaded model, at once; 409 with switching off. Whether it changed."""
        loaded = self.loaded_key(engine)
        if key == loaded:
            return False
        if self.model_switch == "off":
            wanted, current = self.of(key), self.of(loaded)
            raise server_errors.model_not_loaded(
                (wanted.model_id, wanted.title), (current.model_id, current.title)
            )
        self.loaded, self.switches = key, self.switches + 1
        self.last_switch = {"from": loaded, "to": key, "at": SWITCHED_AT, "seconds": SWITCH_SECONDS}
        return True

    def with_traits(self, key: str, **changes: Any) -> None:
        """Script what a model does (its tags, languages...)."""
        self.traits[key] = replace(self.of(key), **changes)

"""The values speech is made of: audio, voice references, synthesis knobs, engine facts.

Plain data shared by every layer (engines produce them, audio processes them, the API and jobs pass
them along), so they sit below all of them and import nothing of the project.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do. `max_chars` is the longest text one synthesize call handles well.

    `voices` names the engine's own voices besides the built-in one (Piper voice models), each
    spoken when `prepare_voice` is given an EngineVoice of that name.

    The rest describe a member of the Chatterbox family (backend.core.models) and default to an
    engine that has none of it: `model` is its key; `tags` the bracketed tags its tokenizer
    knows (others would be read aloud, so they are removed first); `languages` the codes it
    speaks; a reference clip must be longer than `min_reference_seconds`; `ignored_params` are
    knobs it accepts and ignores; `can_convert_voice`: it can re-voice a recording.
    """

    can_clone: bool
    has_builtin_voice: bool
    max_chars: int
    voices: tuple[str, ...] = ()
    model: str | None = None
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    min_reference_seconds: float = 0.0
    ignored_params: tuple[str, ...] = ()
    can_convert_voice: bool = False


@dataclass(frozen=True)
class VoiceRef:
    """A reference voice: a library id and its normalised reference clip on disk.

    `cache_dir` is where an engine may persist what it derives from the clip (Chatterbox saves its
    conditionals there) so a restart does not re-embed. It exists while the voice does: an engine
    never creates it, and a missing one means the voice was deleted, so there is nothing to keep.
    """

    voice_id: str
    audio_path: Path
    cache_dir: Path
    language: str | None = None  # what the clip speaks (ISO 639-1), when the library knows


@dataclass(frozen=True)
class EngineVoice:
    """One of the engine's own named voices (see Capabilities.voices): no reference clip."""

    voice_id: str


@dataclass
class SynthesisParams:
    """Per-request knobs. Engines ignore what they do not support.

    rate: speaking speed, 1.0 normal, 2.0 twice as fast. exaggeration, cfg_weight, temperature:
    Chatterbox's sampling controls. seed: fixed randomness for repeatable output, None for fresh.
    language: the text's language (an ISO 639-1 code) for a model that speaks several.
    """

    rate: float = 1.0
    exaggeration: float = 0.5
    cfg_weight: float = 0.5
    temperature: float = 0.8
    seed: int | None = None
    language: str | None = None

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> SynthesisParams:
        """The knobs among `stored` (a job's params, which also keep its model, mastering and
        other settings that are not synthesis knobs); the rest is left out."""
        return cls(**{f.name: stored[f.name] for f in fields(cls) if f.name in stored})


@dataclass(frozen=True)
class WordMark:
    """One word's place in an Audio, in seconds from its first sample."""

    start: float
    end: float
    word: str


@dataclass(frozen=True)
class Mark:
    """One sentence's place in an Audio, in seconds from its first sample, with its words' places
    where something timed them (Whisper); `words` is empty otherwise."""

    start: float
    end: float
    text: str
    words: tuple[WordMark, ...] = ()

    def moved(self, offset: float, scale: float = 1.0) -> Mark:
        """This mark with every time t becoming offset + t * scale (a pause before, a stretch)."""
        words = tuple(
            WordMark(offset + w.start * scale, offset + w.end * scale, w.word) for w in self.words
        )
        return Mark(offset + self.start * scale, offset + self.end * scale, self.text, words)


@dataclass
class Audio:
    """Mono float32 samples in [-1, 1] at `sample_rate` Hz.

    `marks`: where each sentence of the spoken text lies in the samples, in order, when the
    engine knows (Piper speaks sentence by sentence); None when it does not (a whole chunk
    spoken at once). Whatever moves samples in time after synthesis moves the marks with them.
    """

    samples: np.ndarray
    sample_rate: int
    marks: tuple[Mark, ...] | None = None

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class EngineMemory:
    """GPU memory in bytes; empty on CPU. `vram_allocated`/`vram_reserved` are this process's
    (torch's caching allocator), `vram_free`/`vram_total` the whole device's, other programs
    included, which is what decides whether the model fits."""

    vram_allocated: int | None = None
    vram_reserved: int | None = None
    vram_free: int | None = None
    vram_total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

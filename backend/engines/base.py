"""The engine protocol: a small synchronous TTS engine and the values it exchanges.

Engines know nothing of threads, locks or HTTP. The ModelManager is their only caller and serialises
every call, so an engine may assume one call at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do. `max_chars` is the longest text one synthesize call handles well.

    `voices` names the engine's own voices besides the built-in one (Piper voice models), each
    spoken when `prepare_voice` is given an EngineVoice of that name.
    """

    can_clone: bool
    has_builtin_voice: bool
    max_chars: int
    voices: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class EngineVoice:
    """One of the engine's own named voices (see Capabilities.voices): no reference clip."""

    voice_id: str


@dataclass
class SynthesisParams:
    """Per-request knobs. Engines ignore what they do not support.

    rate: speaking speed, 1.0 normal, 2.0 twice as fast. exaggeration, cfg_weight, temperature:
    Chatterbox's sampling controls. seed: fixed randomness for repeatable output, None for fresh.
    """

    rate: float = 1.0
    exaggeration: float = 0.5
    cfg_weight: float = 0.5
    temperature: float = 0.8
    seed: int | None = None


@dataclass
class Audio:
    """Mono float32 samples in [-1, 1] at `sample_rate` Hz."""

    samples: np.ndarray
    sample_rate: int

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


@runtime_checkable
class Engine(Protocol):
    """A text-to-speech engine. Not thread-safe: the manager serialises every call.

    - `check_environment()` raises EnvironmentNotSetup when libraries or model files are missing;
      it is cheap and never loads the model.
    - `import_runtime()` imports the engine's libraries without loading weights (idempotent). The
      manager calls it once at start-up, so the first load is quicker and the unloaded baseline
      that an unload returns to already includes the libraries, which stay imported.
    - `load()` / `unload()` are idempotent. `unload()` drops every reference to weights and cached
      voices so their memory can be reclaimed.
    - `prepare_voice(ref)` returns a handle for `synthesize`; `ref=None` asks for the built-in
      voice. Engines that cannot clone raise VoiceCloningUnavailable for a VoiceRef. An
      EngineVoice names one of `capabilities.voices`.
    - `synthesize` returns mono float32 audio at `sample_rate`.
    - `speaker_similarity(audio, handle)` is the cosine similarity, in [-1, 1], between the
      speaker embedding of `audio` and that of the voice `handle` (from `prepare_voice`): near 1
      when `audio` sounds like that voice. None when the engine cannot judge (it has no voice
      encoder, or the audio gave no usable embedding). Read-only: the voice is not changed.
    """

    name: str
    capabilities: Capabilities

    @property
    def device(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    def check_environment(self) -> None: ...

    def import_runtime(self) -> None: ...

    def load(self) -> None: ...

    def unload(self) -> None: ...

    def is_loaded(self) -> bool: ...

    def prepare_voice(self, ref: VoiceRef | EngineVoice | None) -> Any: ...

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio: ...

    def speaker_similarity(self, audio: Audio, handle: Any) -> float | None: ...

    def memory(self) -> EngineMemory: ...

    def info(self) -> dict[str, Any]:
        """Extra facts for /health (e.g. which weights are loaded)."""
        ...

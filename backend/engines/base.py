"""The engine protocol: a small synchronous TTS engine.

Engines know nothing of threads, locks or HTTP. The ModelManager is their only caller and serialises
every call, so an engine may assume one call at a time. The values it exchanges (Audio, VoiceRef,
SynthesisParams, ...) live in backend.core.speech.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from backend.core.speech import (
        Audio,
        Capabilities,
        EngineMemory,
        EngineVoice,
        SynthesisParams,
        VoiceRef,
    )


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
    - `convert_voice(audio, handle)` re-speaks a recording in the voice `handle`: the same words
      and timing (Chatterbox's S3Gen). Engines without it (`capabilities.can_convert_voice`
      False) raise VoiceConversionUnavailable.
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

    def convert_voice(self, audio: Audio, handle: Any) -> Audio: ...

    def memory(self) -> EngineMemory: ...

    def info(self) -> dict[str, Any]:
        """Extra facts for /health (e.g. which weights are loaded)."""
        ...

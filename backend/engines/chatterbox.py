"""The Chatterbox engine: loads the local checkpoint, caches voice conditionals, synthesises speech.

torch and chatterbox are imported inside methods, so importing this module stays cheap and works
on an install without them (engine selection calls `model_files_present` and `check_environment`).
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import sys
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from backend.audio.assemble import join
from backend.audio.stretch import time_stretch
from backend.core import atomic, models
from backend.core.constants import TEST_WEIGHTS_MARKER
from backend.core.errors import (
    EnvironmentNotSetup,
    GpuOutOfMemory,
    InternalError,
    ModelLoadFailed,
    NoVoiceLoaded,
    SynthesisFailed,
    VoiceFileNotFound,
)
from backend.core.settings import Settings
from backend.core.speech import Audio, Capabilities, EngineMemory, SynthesisParams, VoiceRef
from backend.engines import chatterbox_family, chatterbox_precision, chatterbox_similarity
from backend.text.chunking import halve

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
CONDS_FILE = "conds.pt"
# prepare_conditionals bakes an exaggeration in; generate() replaces it per call when it differs.
EMBED_EXAGGERATION = 0.5


def setup_hint(key: str) -> str:
    return f"python setup_env.py --engine chatterbox --model {key}"


def resolve_model(settings: Settings) -> str:
    """The family member this engine serves: CHATTERBOX_MODEL, or for "auto" the choice rule
    among the installed ones (the original when none is)."""
    if settings.chatterbox_model != "auto":
        return settings.chatterbox_model
    installed = models.installed(settings.model_cache_dir)
    return models.choose(installed, None) or models.ORIGINAL.key


def _short(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ChatterboxEngine:
    """Chatterbox TTS (zero-shot cloning), 24 kHz: the Original, Turbo or Multilingual model
    (backend.core.models; what differs between them is in chatterbox_family). Not thread-safe:
    the manager serialises.

    The model keeps the current voice in `model.conds`; a handle from `prepare_voice` is a
    `Conditionals` object that `synthesize` installs before every generate. Voice handles live in
    an LRU of `settings.voice_cache_size` entries and are persisted in the voice's cache folder
    (`conds.pt` for the original model, `conds-<model>.pt` for the others: each model derives
    its own).
    """

    name = "chatterbox"

    def __init__(self, settings: Settings, model: str | None = None):
        self.settings = settings
        self.key = model or resolve_model(settings)
        self.spec = models.MODELS[self.key]
        self.capabilities: Capabilities = chatterbox_family.capabilities(self.key, self.model_dir)
        self._device: str | None = None
        self._model: Any = None
        self._builtin: Any = None  # the checkpoint's own voice, captured before any clone
        self._precision: chatterbox_precision.Precision | None = None
        self._runtime_imported = False
        # voice_id -> ((mtime_ns, size) of the reference clip, Conditionals), least recent first
        self._voices: OrderedDict[str, tuple[tuple[int, int], Any]] = OrderedDict()

    @property
    def model_dir(self) -> Path:
        return models.model_dir(Path(self.settings.model_cache_dir).resolve(), self.key)

    @property
    def conds_file(self) -> str:
        return CONDS_FILE if self.key == models.ORIGINAL.key else f"conds-{self.key}.pt"

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = self._resolve_device()
        return self._device

    @property
    def sample_rate(self) -> int:
        return int(self._model.sr) if self._model is not None else SAMPLE_RATE

    def _resolve_device(self) -> str:
        if self.settings.device != "auto":
            return self.settings.device
        try:
            import torch
        except ImportError:
            return "cpu"
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"

    def check_environment(self) -> None:
        if importlib.util.find_spec("chatterbox") is None:
            raise EnvironmentNotSetup(
                "The Chatterbox libraries (chatterbox-tts, torch) are not installed.",
                f"Run: {setup_hint(self.key)}",
            )
        missing = models.missing_files(Path(self.settings.model_cache_dir).resolve(), self.key)
        if missing:
            raise EnvironmentNotSetup(
                f"The {self.spec.title} model files are missing from {self.model_dir}: "
                f"{', '.join(missing)}.",
                f"Run: {setup_hint(self.key)} (downloads them into {self.model_dir}), or copy "
                f"the files ({', '.join(self.spec.files)}) there.",
                model=self.spec.model_id,
            )

    def is_loaded(self) -> bool:
        return self._model is not None

    def import_runtime(self) -> None:
        """Import torch and chatterbox (several seconds) without loading weights; idempotent."""
        if self.settings.low_vram != "off":
            # Read by torch's CUDA allocator when it starts, so it must be set before any CUDA use.
            os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", chatterbox_precision.ALLOC_CONF)
        # The server never fetches: without this, upstream's hub lookups (the Multilingual
        # Cangjie table) retry for many seconds on a machine that cannot reach the hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        if self.key == models.MULTILINGUAL.key:  # read when spacy_pkuseg is first imported
            os.environ["PKUSEG_HOME"] = str(models.pkuseg_home(self.model_dir))
        try:
            chatterbox_family.model_class(self.key)
        except ImportError as exc:
            raise EnvironmentNotSetup(
                f"The Chatterbox libraries could not be imported ({_short(exc)}).",
                f"Run: {setup_hint(self.key)}",
            ) from exc
        self._runtime_imported = True

    def load(self) -> None:
        if self._model is not None:
            return
        self.import_runtime()
        import torch

        precision = chatterbox_precision.choose(
            self.settings.low_vram, self.device, self._total_vram()
        )
        log.info(
            "Loading %s from %s on %s (%s)",
            self.spec.title,
            self.model_dir,
            self.device,
            "low-VRAM mode" if precision.low_vram else "fp32",
        )
        try:
            # from_local only: from_pretrained would reach for the hub.
            model = chatterbox_family.load(self.key, self.model_dir, self.device)
            chatterbox_precision.apply(model, precision)
            if model.conds is not None:
                chatterbox_precision.fit_conds(model.conds, precision)
            if not self.settings.watermark:
                import perth

                model.watermarker = perth.DummyWatermarker()
        except torch.cuda.OutOfMemoryError as exc:
            self._free_device_cache()
            raise GpuOutOfMemory(
                f"The GPU does not have enough free memory to load {self.spec.title} "
                f"({_short(exc, 120)})."
            ) from exc
        except Exception as exc:
            raise ModelLoadFailed(f"{self.spec.title} could not be loaded: {_short(exc)}") from exc
        if self.weights == "random-test":
            log.warning(
                "%s holds RANDOM TEST WEIGHTS (%s): this model speaks noise",
                self.model_dir,
                TEST_WEIGHTS_MARKER,
            )
        self._model = model
        self._precision = precision
        self._builtin = model.conds  # before any clone overwrites model.conds
        self.capabilities = replace(self.capabilities, has_builtin_voice=self._builtin is not None)

    def unload(self) -> None:
        was_loaded = self._model is not None
        self._model = None
        self._builtin = None
        self._precision = None
        self._voices.clear()
        gc.collect()
        if was_loaded:
            self._free_device_cache()

    def _require_model(self) -> Any:
        if self._model is None:
            raise InternalError("The Chatterbox model is not loaded.")
        return self._model

    def prepare_voice(self, ref: VoiceRef | None) -> Any:
        model = self._require_model()
        if ref is None:
            if self._builtin is None:
                raise NoVoiceLoaded(
                    f"The Chatterbox checkpoint in {self.model_dir} has no built-in voice "
                    "(conds.pt)."
                )
            return self._builtin
        try:
            stat = ref.audio_path.stat()
        except OSError as exc:
            raise VoiceFileNotFound(
                f"The reference clip of voice '{ref.voice_id}' is missing: {ref.audio_path}"
            ) from exc
        self._check_reference_length(ref)
        fingerprint = (stat.st_mtime_ns, stat.st_size)
        cached = self._voices.get(ref.voice_id)
        if cached is not None and cached[0] == fingerprint:
            self._voices.move_to_end(ref.voice_id)
            return cached[1]
        conds = self._load_persisted(ref, stat.st_mtime_ns)
        if conds is None:
            conds = self._embed(model, ref)
        conds = chatterbox_precision.fit_conds(conds, self._require_precision())
        self._voices[ref.voice_id] = (fingerprint, conds)
        self._voices.move_to_end(ref.voice_id)
        while len(self._voices) > self.settings.voice_cache_size:
            evicted, _ = self._voices.popitem(last=False)
            log.debug("Evicted voice %s from the conditionals cache", evicted)
        return conds

    def _load_persisted(self, ref: VoiceRef, audio_mtime_ns: int) -> Any:
        path = ref.cache_dir / self.conds_file
        try:
            if path.stat().st_mtime_ns < audio_mtime_ns:
                return None  # the clip was replaced after it was embedded
        except OSError:
            return None
        Conditionals = chatterbox_family.conditionals_class(self.key)

        # Load to CPU for mps, as upstream does; CUDA loads straight onto the GPU.
        map_location = "cpu" if self.device == "mps" else self.device
        try:
            return Conditionals.load(path, map_location=map_location).to(self.device)
        except Exception as exc:
            log.warning("Ignoring unreadable %s (%s); embedding again", path, _short(exc))
            return None

    def _embed(self, model: Any, ref: VoiceRef) -> Any:
        log.info("Embedding reference voice %s", ref.voice_id)
        try:
            model.prepare_conditionals(str(ref.audio_path), exaggeration=EMBED_EXAGGERATION)
        except Exception as exc:
            raise SynthesisFailed(
                f"The reference clip of voice '{ref.voice_id}' could not be embedded: {_short(exc)}"
            ) from exc
        conds = model.conds
        path = ref.cache_dir / self.conds_file
        # The folder is never created here: one that is gone was deleted with its voice (perhaps
        # while this embed ran), and writing into it would bring it back as an orphan.
        tmp: Path | None = None
        try:
            tmp = atomic.temp_beside(path)
            conds.save(tmp)
            atomic.publish(tmp, path)  # a crash never leaves a half-written conds.pt
        except Exception as exc:  # persisting only saves time on the next start
            if not ref.cache_dir.is_dir():
                log.info("Voice %s was deleted while it was embedded; not persisted", ref.voice_id)
            else:
                log.warning("Could not persist conditionals to %s: %s", path, _short(exc))
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        return conds

    def synthesize(self, text: str, handle: Any, params: SynthesisParams) -> Audio:
        """Speak `text`; on CUDA out-of-memory, free the cache and speak it as two halves.

        Never falls back to the CPU: a second out-of-memory raises GpuOutOfMemory (503).
        """
        model = self._require_model()
        import torch

        if params.seed is not None:
            torch.manual_seed(params.seed)
            if torch.cuda.is_available():
                torch.cuda.manual_seed_all(params.seed)
        try:
            samples = self._generate(model, text, handle, params)
        except torch.cuda.OutOfMemoryError:
            self._free_device_cache()
            halves = halve(text)
            log.warning("CUDA out of memory on %d characters; retrying in two halves", len(text))
            if halves is None:
                raise GpuOutOfMemory() from None
            try:
                parts = [self._generate(model, half, handle, params) for half in halves]
            except torch.cuda.OutOfMemoryError as exc:
                self._free_device_cache()
                raise GpuOutOfMemory() from exc
            joined = join(
                [Audio(part, int(model.sr)) for part in parts],
                self.settings.crossfade_ms,
                self.settings.pause_ms,
            )
            samples = joined.samples
        if params.rate != 1.0:
            samples = time_stretch(samples, model.sr, params.rate)
        return Audio(samples.astype(np.float32, copy=False), int(model.sr))

    def _generate(self, model: Any, text: str, handle: Any, params: SynthesisParams) -> np.ndarray:
        """One upstream generate call; CUDA out-of-memory passes through for the caller."""
        import torch

        conds, exaggeration = chatterbox_precision.call_conds(
            handle, params.exaggeration, self._require_precision()
        )
        try:
            wav = chatterbox_family.generate(self.key, model, text, conds, exaggeration, params)
        except torch.cuda.OutOfMemoryError:
            raise
        except Exception as exc:
            raise SynthesisFailed(f"{self.spec.title} failed to synthesise: {_short(exc)}") from exc
        return np.ascontiguousarray(wav.detach().cpu().float().numpy().reshape(-1))

    def convert_voice(self, audio: Audio, handle: Any) -> Audio:
        """`audio` re-spoken in the voice `handle` (from `prepare_voice`): the same words and
        timing, by the resident model's S3Gen."""
        model = self._require_model()
        try:
            samples = chatterbox_family.convert(model, self.device, audio, handle)
        except Exception as exc:
            raise SynthesisFailed(f"The recording could not be re-voiced: {_short(exc)}") from exc
        return Audio(samples.astype(np.float32, copy=False), int(model.sr))

    def _check_reference_length(self, ref: VoiceRef) -> None:
        """Refuse a clip the model would reject with an assert (Turbo: longer than 5 s)."""
        chatterbox_family.check_reference_length(
            ref, self.spec.min_reference_seconds, self.spec.title, self.spec.model_id
        )

    def speaker_similarity(self, audio: Audio, handle: Any) -> float | None:
        """The voice encoder's cosine between `audio` and the voice `handle` (see the module
        chatterbox_similarity); None where it cannot judge."""
        return chatterbox_similarity.speaker_similarity(self._require_model(), audio, handle)

    def _require_precision(self) -> chatterbox_precision.Precision:
        if self._precision is None:
            raise InternalError("The Chatterbox model is not loaded.")
        return self._precision

    def _total_vram(self) -> int | None:
        if self.device != "cuda":
            return None
        import torch

        return int(torch.cuda.get_device_properties(0).total_memory)

    def _free_device_cache(self) -> None:
        """Give the GPU memory torch's caching allocator holds back to the device."""
        torch = sys.modules.get("torch")  # never import torch just to free nothing
        if torch is None:
            return
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        elif self.device == "mps":
            torch.mps.empty_cache()

    @property
    def weights(self) -> str:
        """ "random-test" for a checkpoint built by studio_tools.make_test_checkpoint."""
        if (self.model_dir / TEST_WEIGHTS_MARKER).is_file():
            return "random-test"
        return "pretrained"

    def memory(self) -> EngineMemory:
        if self.device != "cuda":
            return EngineMemory()
        import torch

        if not torch.cuda.is_available():
            return EngineMemory()
        free, total = torch.cuda.mem_get_info()
        return EngineMemory(
            vram_allocated=torch.cuda.memory_allocated(),
            vram_reserved=torch.cuda.memory_reserved(),
            vram_free=free,
            vram_total=total,
        )

    def info(self) -> dict[str, Any]:
        return {
            "model_id": self.spec.model_id,
            "model_cache_dir": str(self.model_dir),
            "weights": self.weights,
            "cached_voices": len(self._voices),
            "watermark": self.settings.watermark,
            "low_vram": self.settings.low_vram,
            "precision": self._precision.describe() if self._precision else None,
            "runtime_imported": self._runtime_imported,
        }

"""What differs between the members of the Chatterbox family, in one place: which class loads a
folder, how one generate call is made, which tags a checkpoint knows, how a recording is
re-voiced. The ChatterboxEngine around it is the same for all three (voices, precision, the OOM
split, the speaker check).

torch and chatterbox are imported inside the functions (the engine host is the only process that
runs them); `read_tags` and `capabilities` read JSON only, so the server can call them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from backend.core import models
from backend.core.errors import VoiceTooShortForModel
from backend.core.speech import Audio, Capabilities, SynthesisParams, VoiceRef

log = logging.getLogger(__name__)

# cfg_weight 0.0 crashes the English model upstream (no CFG batch is built); stay just above it.
MIN_CFG_WEIGHT = 1e-3
MAX_CHARS = 300  # every member degrades past ~300 characters; upstream's demo caps input there
TAG_FILE = "added_tokens.json"
# Multilingual 0.1.7's AlignmentStreamAnalyzer indexes the text's tokens minus the last five
# (start and stop included): at 5 or fewer it raises IndexError once it thinks the text is
# spoken. 4 text tokens (the language tag counts) make 6 with start and stop.
MIN_TEXT_TOKENS = 4
PAD = ","  # a pause: read as silence, and one token whatever the language
MAX_PAD = 8


def read_tags(folder: Path) -> tuple[str, ...]:
    """The bracketed tags a Turbo checkpoint's tokenizer knows, from its added tokens (sorted);
    () when the folder has none (not installed yet, or another model)."""
    try:
        added = json.loads((Path(folder) / TAG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    names = added.keys() if isinstance(added, dict) else ()
    return tuple(sorted(n for n in names if n.startswith("[") and n.endswith("]") and n[1:-1]))


def capabilities(key: str, folder: Path, has_builtin_voice: bool = True) -> Capabilities:
    model = models.MODELS[key]
    return Capabilities(
        can_clone=True,
        has_builtin_voice=has_builtin_voice,
        max_chars=MAX_CHARS,
        model=key,
        tags=read_tags(folder) if model.reads_tags else (),
        languages=model.languages,
        min_reference_seconds=model.min_reference_seconds,
        ignored_params=model.ignored_params,
        can_convert_voice=True,
    )


def check_reference_length(ref: VoiceRef, minimum: float, title: str, model: str | None) -> None:
    """VoiceTooShortForModel for a clip not longer than `minimum` seconds (0: any length).
    Turbo's prepare_conditionals asserts a clip of more than 5 s; this says so cleanly, before
    anything is embedded. An unreadable or missing clip passes: the embedding reports it."""
    if not minimum:
        return
    import soundfile as sf

    try:
        seconds = sf.info(str(ref.audio_path)).duration
    except Exception:
        return
    if seconds <= minimum:
        raise VoiceTooShortForModel(
            f"The reference clip of voice '{ref.voice_id}' is {seconds:.1f} s long; {title} "
            f"needs one longer than {minimum:g} s.",
            model=model,
            min_seconds=minimum,
            seconds=round(seconds, 2),
        )


def model_class(key: str) -> Any:
    if key == models.TURBO.key:
        from chatterbox.tts_turbo import ChatterboxTurboTTS

        return ChatterboxTurboTTS
    if key == models.MULTILINGUAL.key:
        from chatterbox.mtl_tts import ChatterboxMultilingualTTS

        return ChatterboxMultilingualTTS
    from chatterbox.tts import ChatterboxTTS

    return ChatterboxTTS


def conditionals_class(key: str) -> Any:
    """The Conditionals class of `key`'s module (the three are the same shape)."""
    import importlib

    return importlib.import_module(model_class(key).__module__).Conditionals


def load(key: str, folder: Path, device: str) -> Any:
    """`from_local` of the model's class (never from_pretrained: that reaches for the hub)."""
    model = model_class(key).from_local(folder, device)
    if key == models.MULTILINGUAL.key:
        _read_cangjie(model, Path(folder) / models.CANGJIE_FILE)
    return model


def generate(
    key: str, model: Any, text: str, conds: Any, exaggeration: float, params: SynthesisParams
) -> Any:
    """One upstream generate call with the voice `conds` installed; returns its (1, n) tensor."""
    model.conds = conds  # generate() reads (and may rewrite) the model's current voice
    if key == models.TURBO.key:
        # Turbo has no guidance and no emotion input: passing them only logs a warning.
        return model.generate(text, temperature=params.temperature, exaggeration=0.0)
    if key == models.MULTILINGUAL.key:
        language = params.language or "en"
        with no_new_hooks(model.t3):
            return model.generate(
                long_enough(model.tokenizer, text, language),
                language_id=language,
                exaggeration=exaggeration,
                # 0 is valid here (it is how the reference's accent is kept out of the target
                # language); the English model's crash at 0 does not apply.
                cfg_weight=params.cfg_weight,
                temperature=params.temperature,
            )
    return model.generate(
        text,
        exaggeration=exaggeration,
        cfg_weight=max(params.cfg_weight, MIN_CFG_WEIGHT),
        temperature=params.temperature,
    )


def long_enough(tokenizer: Any, text: str, language: str) -> str:
    """`text`, with pauses added at its end until Multilingual's tokenizer (as generate() will
    call it, after upstream's punctuation clean-up) gives at least MIN_TEXT_TOKENS: "A" or "?"
    would otherwise crash 0.1.7. Longer texts come back unchanged."""
    from chatterbox.mtl_tts import punc_norm

    padded = text
    for _ in range(MAX_PAD):
        if len(tokenizer.encode(punc_norm(padded), language_id=language)) >= MIN_TEXT_TOKENS:
            return padded
        padded = padded.rstrip() + PAD
    return padded


@contextlib.contextmanager
def no_new_hooks(module: Any) -> Iterator[None]:
    """Remove the forward hooks a call registers on `module` and its children. Multilingual's
    T3.inference (0.1.7) registers an attention hook (AlignmentStreamAnalyzer) on every call
    and never removes it: call after call they pile up, each one still running. Hooks that
    were there before the call (a test's or a benchmark's) stay."""
    parts = list(module.modules())
    before = [set(part._forward_hooks) for part in parts]
    try:
        yield
    finally:
        for part, had in zip(parts, before, strict=True):
            for handle_id in [h for h in part._forward_hooks if h not in had]:
                del part._forward_hooks[handle_id]


def forward_hook_count(module: Any) -> int:
    """Forward hooks on `module` and its children (the leak `no_new_hooks` stops)."""
    return sum(len(part._forward_hooks) for part in module.modules())


def convert(model: Any, device: str, audio: Audio, conds: Any) -> np.ndarray:
    """Re-speak `audio` in the voice `conds` with the resident model's S3Gen (ChatterboxVC over
    the same weights: nothing more is loaded). Returns float32 samples at 24 kHz."""
    import soundfile as sf
    from chatterbox.vc import ChatterboxVC

    vc = ChatterboxVC(model.s3gen, device, ref_dict=conds.gen)
    vc.watermarker = model.watermarker  # the same watermark choice as speech
    with tempfile.TemporaryDirectory(prefix="chatterbox-vc-") as tmp:
        path = Path(tmp) / "source.wav"
        sf.write(path, audio.samples, audio.sample_rate, subtype="FLOAT")
        wav = vc.generate(str(path))
    return np.ascontiguousarray(wav.detach().cpu().float().numpy().reshape(-1))


def _read_cangjie(model: Any, path: Path) -> None:
    """Fill the Chinese converter's table from the model folder. Upstream fetches it from the
    hub at load time (which fails offline, leaving Chinese unconvertible); set-up downloads it
    beside the model instead. Each entry is "character<TAB>code"."""
    converter = getattr(getattr(model, "tokenizer", None), "cangjie_converter", None)
    if converter is None or converter.word2cj:
        return
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("No Cangjie table at %s (%s): Chinese text will not convert", path, exc)
        return
    for entry in entries:
        word, code = entry.split("\t")[:2]
        converter.word2cj[word] = code
        converter.cj2word.setdefault(code, []).append(word)

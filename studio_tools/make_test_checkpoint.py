"""Build a random-weight Chatterbox checkpoint in the exact format a model's `from_local` reads.

    python -m studio_tools.make_test_checkpoint [DIR] [--model original|turbo|multilingual]
        [--seed 0] [--force]

The real weights come only from the model hub. This writes the same files from freshly
initialised `VoiceEncoder()`, `T3(...)` and `S3Gen(...)` (seeded, so two runs give identical
files), the model's tokenizer files (studio_tools.checkpoint_tokenizers) and `conds.pt` from
`prepare_conditionals` on a synthetic voice. The weights are noise: the server reports
`weights: "random-test"` when it finds the marker file this writes last, so the folder is never
mistaken for a real model. Runs in an environment with chatterbox-tts installed.

- original (ChatterboxTTS): ve.safetensors, t3_cfg.safetensors, s3gen.safetensors,
  tokenizer.json, conds.pt; about 3.2 GB.
- turbo (ChatterboxTurboTTS): ve.safetensors, t3_turbo_v1.safetensors (GPT-2 medium T3),
  s3gen_meanflow.safetensors, the GPT-2 tokenizer files, conds.pt (a 15 s voice: Turbo wants
  more than 5 s); about 3.0 GB.
- multilingual (ChatterboxMultilingualTTS): ve.pt, t3_mtl23ls_v2.safetensors, s3gen.pt,
  grapheme_mtl_merged_expanded_v1.json, conds.pt, Cangjie5_TC.json; about 3.2 GB. Loading it
  offline also needs a spacy_pkuseg model (studio_tools.pkuseg_home).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from backend.core.constants import TEST_WEIGHTS_MARKER
from studio_tools import checkpoint_tokenizers as tokenizers

MODELS = ("original", "turbo", "multilingual")
SAMPLE_RATE = 24000
VOICE_SECONDS = {"original": 10.0, "turbo": 15.0, "multilingual": 10.0}
SYNTHETIC_SECONDS = VOICE_SECONDS["original"]
# Raised when a model's files change, so a cached build of the old layout is built again. Turbo 2:
# the real tokenizer's 19 tag names.
LAYOUT = {"original": 1, "turbo": 2, "multilingual": 1}
tokenizer_json = tokenizers.original_tokenizer_json  # the name earlier callers import


def package_version() -> str:
    return metadata.version("chatterbox-tts")


def default_cache_dir(seed: int = 0, model: str = "original") -> Path:
    """Where tests and benchmarks keep a model's checkpoint: outside the repo, per package
    version (`chatterbox-tts-0.1.7-seed0` for the original, `...-0.1.7-turbo-seed0`)."""
    _check_model(model)
    base = Path.home() / ".cache" / "chatterbox-studio" / "test-checkpoints"
    key = "" if model == "original" else f"-{model}"
    return base / f"chatterbox-tts-{package_version()}{key}-seed{seed}"


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a finished build (the marker is written last)."""
    return (Path(folder) / TEST_WEIGHTS_MARKER).is_file()


def built_model(folder: Path) -> str:
    """The model key of the finished build in `folder` (markers before turbo: "original")."""
    return _marker(folder).get("model", "original")


def built_layout(folder: Path) -> int:
    """The layout revision of the finished build in `folder` (markers before it: 1)."""
    return int(_marker(folder).get("layout", 1))


def _marker(folder: Path) -> dict:
    return json.loads((Path(folder) / TEST_WEIGHTS_MARKER).read_text())


def synthetic_voice(seconds: float = SYNTHETIC_SECONDS, seed: int = 0) -> np.ndarray:
    """A voice-like 24 kHz signal: a gliding 120-180 Hz harmonic source in syllable bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 150 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    source = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) * (np.sin(2 * np.pi * 0.25 * t) > -0.6)
    wave = source * syllables + 0.01 * rng.standard_normal(t.size)
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


def turbo_t3_config() -> Any:
    """The T3Config ChatterboxTurboTTS.from_local builds (GPT-2 medium, 50276 text ids)."""
    from chatterbox.models.t3.modules.t3_config import T3Config

    hp = T3Config(text_tokens_dict_size=tokenizers.TURBO_TEXT_VOCAB)
    hp.llama_config_name = "GPT2_medium"
    hp.speech_tokens_dict_size = 6563
    hp.input_pos_emb = None
    hp.speech_cond_prompt_len = 375
    hp.use_perceiver_resampler = False
    hp.emotion_adv = False
    return hp


def build(folder: Path, seed: int = 0, model: str = "original") -> dict:
    """Write `model`'s checkpoint into `folder` (created; must not hold a finished build)."""
    _check_model(model)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    {"original": _write_original, "turbo": _write_turbo, "multilingual": _write_multilingual}[
        model
    ](folder, seed)
    import torch

    files = sorted(p.name for p in folder.iterdir() if p.name != TEST_WEIGHTS_MARKER)
    marker = {
        "weights": "random-test",
        "warning": "Random weights for tests and benchmarks. This is not the Chatterbox model: "
        "it speaks noise. Run `python setup_env.py --engine chatterbox` for the real weights.",
        "model": model,
        "layout": LAYOUT[model],
        "chatterbox_tts": package_version(),
        "torch": torch.__version__,
        "seed": seed,
        "sha256": {name: _sha256(folder / name) for name in files},
    }
    (folder / TEST_WEIGHTS_MARKER).write_text(json.dumps(marker, indent=2))
    return marker


def ensure(folder: Path | None = None, seed: int = 0, model: str = "original") -> Path:
    """Build `model` into `folder` (default: its per-version cache) unless a finished build of
    the current layout is there. A finished build of another model there is an error, not
    something to overwrite; one of an older layout is built again."""
    folder = Path(folder) if folder else default_cache_dir(seed, model)
    if is_complete(folder):
        if (found := built_model(folder)) != model:
            raise ValueError(f"{folder} holds a {found} test checkpoint, not {model}")
        if built_layout(folder) == LAYOUT[model]:
            return folder
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    build(staging, seed, model)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)  # a crash mid-build never leaves a folder that looks finished
    return folder


def _write_original(folder: Path, seed: int) -> None:
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS

    for name, make in (("ve", VoiceEncoder), ("t3_cfg", T3), ("s3gen", S3Gen)):
        _save(_seeded(make, seed), folder / f"{name}.safetensors")
    (folder / "tokenizer.json").write_text(
        json.dumps(tokenizers.original_tokenizer_json(), indent=1)
    )
    model = ChatterboxTTS.from_local(folder, "cpu")
    _save_conds(model, folder, seed, "original")


def _write_turbo(folder: Path, seed: int) -> None:
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts_turbo import ChatterboxTurboTTS

    ve = _save(_seeded(VoiceEncoder, seed), folder / "ve.safetensors")
    # The whole state dict, tfmr.wte included: from_local loads it strictly, then deletes wte.
    t3 = _save(_seeded(lambda: T3(turbo_t3_config()), seed), folder / "t3_turbo_v1.safetensors")
    s3gen = _seeded(lambda: S3Gen(meanflow=True), seed)
    _save(s3gen, folder / "s3gen_meanflow.safetensors")
    tokenizers.write_turbo_tokenizer(folder, seed)
    model = ChatterboxTurboTTS(t3, s3gen, ve, tokenizer=None, device="cpu")
    _save_conds(model, folder, seed, "turbo")


def _write_multilingual(folder: Path, seed: int) -> None:
    import torch
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.t3.modules.t3_config import T3Config
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.mtl_tts import ChatterboxMultilingualTTS

    ve = _seeded(VoiceEncoder, seed)
    torch.save(_state(ve), folder / "ve.pt")  # from_local: torch.load(weights_only=True)
    t3 = _save(
        _seeded(lambda: T3(T3Config.multilingual()), seed), folder / "t3_mtl23ls_v2.safetensors"
    )
    s3gen = _seeded(S3Gen, seed)
    torch.save(_state(s3gen), folder / "s3gen.pt")
    grapheme = json.dumps(tokenizers.multilingual_tokenizer_json(), indent=1, ensure_ascii=False)
    (folder / "grapheme_mtl_merged_expanded_v1.json").write_text(grapheme, encoding="utf-8")
    cangjie = json.dumps(tokenizers.cangjie_table(), indent=1, ensure_ascii=False)
    (folder / "Cangjie5_TC.json").write_text(cangjie, encoding="utf-8")
    # Built from the modules in memory: from_local would build MTLTokenizer, whose Chinese
    # segmenter wants a spacy_pkuseg model (a download) that the conditionals do not need.
    model = ChatterboxMultilingualTTS(t3, s3gen, ve, tokenizer=None, device="cpu")
    _save_conds(model, folder, seed, "multilingual")


def _seeded(make: Any, seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return make().eval()  # eval: prepare_conditionals must see what from_local gives it


def _state(module: Any) -> dict:
    return {k: v.contiguous() for k, v in module.state_dict().items()}


def _save(module: Any, path: Path) -> Any:
    from safetensors.torch import save_file

    save_file(_state(module), path)
    return module


def _save_conds(model: Any, folder: Path, seed: int, key: str) -> None:
    import soundfile as sf
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "synthetic.wav"
        sf.write(wav, synthetic_voice(VOICE_SECONDS[key], seed=seed), SAMPLE_RATE)
        torch.manual_seed(seed)
        model.prepare_conditionals(str(wav))
    model.conds.save(folder / "conds.pt")


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="default: the per-version cache")
    parser.add_argument("--model", choices=MODELS, default="original")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if finished")
    args = parser.parse_args(argv)
    folder = args.folder or default_cache_dir(args.seed, args.model)
    if args.force:
        shutil.rmtree(folder, ignore_errors=True)
    print(ensure(folder, args.seed, args.model))
    return 0


if __name__ == "__main__":
    sys.exit(main())

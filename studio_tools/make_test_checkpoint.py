"""Build a random-weight Chatterbox checkpoint in the exact format `ChatterboxTTS.from_local` reads.

    python -m studio_tools.make_test_checkpoint DIR [--seed 0]

The real weights come only from the model hub. This builds the same five files from freshly
initialised `VoiceEncoder()`, `T3()` and `S3Gen()` (seeded, so two runs give identical files), a
grapheme `tokenizer.json` within T3's 704 text ids, and `conds.pt` from `prepare_conditionals` on
a synthetic 10 s voice. The weights are noise: the server reports `weights: "random-test"` when it
finds the marker file this writes, so the folder is never mistaken for the real model. Runs in an
environment with chatterbox-tts installed; about 3.2 GB, a minute or two on a laptop CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import string
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

from backend.core.constants import TEST_WEIGHTS_MARKER

TEXT_VOCAB = 704  # T3Config.english_only().text_tokens_dict_size
SPECIAL = ("[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]")
START_ID = 255  # T3's start_text_token; [STOP] is 0 = stop_text_token
SYNTHETIC_SECONDS = 10.0
SAMPLE_RATE = 24000


def package_version() -> str:
    return metadata.version("chatterbox-tts")


def default_cache_dir(seed: int = 0) -> Path:
    """Where tests and benchmarks keep the checkpoint: outside the repo, per package version."""
    base = Path.home() / ".cache" / "chatterbox-studio" / "test-checkpoints"
    return base / f"chatterbox-tts-{package_version()}-seed{seed}"


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a finished build (the marker is written last)."""
    return (Path(folder) / TEST_WEIGHTS_MARKER).is_file()


def tokenizer_json() -> dict:
    """A character-level `tokenizers` JSON: specials, then printable ASCII, within 704 ids."""
    vocab = {name: i for i, name in enumerate(SPECIAL)}
    for char in string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(char, len(vocab))
    vocab["[START]"] = START_ID
    assert max(vocab.values()) < TEXT_VOCAB
    added = [
        {
            "id": vocab[name],
            "content": name,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for name in (*SPECIAL, "[START]")
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Split",
            "pattern": {"String": ""},
            "behavior": "Isolated",
            "invert": False,
        },
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }


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


def build(folder: Path, seed: int = 0) -> dict:
    """Write the checkpoint into `folder` (created; must not hold a finished build)."""
    import soundfile as sf
    import torch
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in (("ve", VoiceEncoder), ("t3_cfg", T3), ("s3gen", S3Gen)):
        torch.manual_seed(seed)
        module = make()
        state = {k: v.contiguous() for k, v in module.state_dict().items()}
        save_file(state, folder / f"{name}.safetensors")
        del module, state
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(), indent=1))

    model = ChatterboxTTS.from_local(folder, "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "synthetic.wav"
        sf.write(wav, synthetic_voice(seed=seed), SAMPLE_RATE)
        torch.manual_seed(seed)
        model.prepare_conditionals(str(wav))
    model.conds.save(folder / "conds.pt")

    files = sorted(p.name for p in folder.iterdir() if p.name != TEST_WEIGHTS_MARKER)
    marker = {
        "weights": "random-test",
        "warning": "Random weights for tests and benchmarks. This is not the Chatterbox model: "
        "it speaks noise. Run `python setup_env.py --engine chatterbox` for the real weights.",
        "chatterbox_tts": package_version(),
        "torch": torch.__version__,
        "seed": seed,
        "sha256": {name: _sha256(folder / name) for name in files},
    }
    (folder / TEST_WEIGHTS_MARKER).write_text(json.dumps(marker, indent=2))
    return marker


def ensure(folder: Path | None = None, seed: int = 0) -> Path:
    """Build into `folder` (default: the per-version cache) unless a finished build is there."""
    folder = Path(folder) if folder else default_cache_dir(seed)
    if is_complete(folder):
        return folder
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    build(staging, seed)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)  # a crash mid-build never leaves a folder that looks finished
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="default: the per-version cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if finished")
    args = parser.parse_args(argv)
    folder = args.folder or default_cache_dir(args.seed)
    if args.force:
        shutil.rmtree(folder, ignore_errors=True)
    print(ensure(folder, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

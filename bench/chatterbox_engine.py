"""The real Chatterbox engines on random-weight test checkpoints: where the time and memory go.

For each model of the family (Original, Turbo, Multilingual), in fp32 and in low-VRAM mode, at
25, 125 and 250 speech tokens (forced with the bounded-generation hook, so every run makes
exactly that many), it reports T3 milliseconds per token, S3Gen seconds per second of audio, the
real-time factor, peak RSS and, on CUDA, peak allocated VRAM. It measures the device's memory
bandwidth and prints T3's floor (its weight bytes read per token / bandwidth) and how far above
that floor each run is; at the end, each model's RTF over the Original's in the same run (the
goal for Turbo: at most half). Random weights cost the same per step as real ones.

Runs in the environment that has chatterbox-tts (it builds or reuses the cached checkpoints):
    .venv_real_chatterbox/bin/python bench/chatterbox_engine.py [--device cuda] [--tokens 25 125]
        [--models original turbo multilingual] [--modes off on]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import torch  # noqa: E402

from backend.core.settings import Settings  # noqa: E402
from backend.core.speech import SynthesisParams  # noqa: E402
from backend.engines.chatterbox import ChatterboxEngine  # noqa: E402
from studio_tools import make_test_checkpoint  # noqa: E402
from studio_tools.bounded_generation import bound_tokens  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog, and the narrator keeps on reading."
MIB = 1024 * 1024


class PeakRss:
    """Samples this process's RSS every 10 ms while the block runs."""

    def __enter__(self) -> PeakRss:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


WRAPPED = (
    ("t3", "t3", "inference"),
    ("t3", "t3", "inference_turbo"),
    ("s3gen", "s3gen", "inference"),
)


def timed_parts(model: Any) -> dict[str, float]:
    """Wrap T3 (`inference`, Turbo's `inference_turbo`) and S3Gen inference on this model
    instance; returns the dict they add seconds to."""
    spent = {"t3": 0.0, "s3gen": 0.0}
    for part, attribute, method in WRAPPED:
        obj = getattr(model, attribute)
        original = getattr(obj, method)

        def wrapper(*args: Any, _original=original, _part=part, **kwargs: Any) -> Any:
            sync(model.device)
            started = time.perf_counter()
            result = _original(*args, **kwargs)
            sync(model.device)
            spent[_part] += time.perf_counter() - started
            return result

        setattr(obj, method, wrapper)
    return spent


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def bandwidth(device: str, gib: float = 1.0) -> float:
    """Bytes per second of a large device-to-device copy (read + write counted), best of 5."""
    n = int(gib * 1024**3) // 4
    source = torch.empty(n, dtype=torch.float32, device=device).fill_(1.0)
    target = torch.empty_like(source)
    best = float("inf")
    for _ in range(5):
        sync(device)
        started = time.perf_counter()
        target.copy_(source)
        sync(device)
        best = min(best, time.perf_counter() - started)
    del source, target
    return 2 * n * 4 / best


def t3_weight_bytes(model: Any) -> int:
    """Bytes of T3 weights one decoding step reads: the transformer and the speech head."""
    parts = [model.t3.tfmr, model.t3.speech_head]
    return sum(p.numel() * p.element_size() for part in parts for p in part.parameters())


def run_mode(
    model_key: str, checkpoint: Path, device: str, low_vram: str, tokens: list[int], bw: float
) -> dict[int, float]:
    """One model in one precision; returns the RTF at each token count."""
    cache = ROOT / "data" / "bench" / "model_cache"
    cache.mkdir(parents=True, exist_ok=True)
    link = cache / model_key
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(checkpoint, target_is_directory=True)
    settings = Settings(
        _env_file=None,
        model_cache_dir=cache,
        data_dir=ROOT / "data" / "bench",
        device=device,
        low_vram=low_vram,
        chatterbox_model=model_key,
    )
    engine = ChatterboxEngine(settings)
    engine.import_runtime()
    started = time.perf_counter()
    engine.load()
    load_s = time.perf_counter() - started
    model = engine._model  # the bench instruments the loaded upstream model
    bound = bound_tokens(model, 5)
    spent = timed_parts(model)
    voice = engine.prepare_voice(None)  # the checkpoint's 10 s built-in voice
    params = SynthesisParams(seed=0, language="en" if model_key == "multilingual" else None)
    engine.synthesize(TEXT, voice, params)  # warm-up: lazy initialisation
    weight_bytes = t3_weight_bytes(model)
    floor_ms = weight_bytes / bw * 1000
    mode = engine.info()["precision"]
    print(
        f"\n## {model_key}, {'low-VRAM' if mode['low_vram'] else 'fp32'} on {device}: "
        f"T3 {mode['t3']}, "
        f"flow {mode['flow']}, vocoder {mode['vocoder']}; load {load_s:.1f} s; "
        f"T3 weights read per token {weight_bytes / MIB:.0f} MiB -> floor {floor_ms:.2f} ms/token"
    )
    print(
        "| tokens | audio s | T3 ms/token | x floor | S3Gen s per audio s | RTF | peak RSS MiB"
        " | peak VRAM MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    rtfs: dict[int, float] = {}
    for n in tokens:
        bound.tokens = n
        spent.update(t3=0.0, s3gen=0.0)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        with PeakRss() as rss:
            started = time.perf_counter()
            audio = engine.synthesize(TEXT, voice, params)
            wall = time.perf_counter() - started
        rtfs[n] = wall / audio.seconds
        per_token = spent["t3"] / n * 1000
        vram = torch.cuda.max_memory_allocated() / MIB if device == "cuda" else None
        print(
            f"| {n} | {audio.seconds:.2f} | {per_token:.1f} | {per_token / floor_ms:.1f} | "
            f"{spent['s3gen'] / audio.seconds:.2f} | {wall / audio.seconds:.2f} | "
            f"{rss.peak / MIB:.0f} | {'-' if vram is None else f'{vram:.0f}'} |"
        )
    bound.remove()
    for _, attribute, method in WRAPPED:  # the timing wrappers hold the model: let it go
        getattr(model, attribute).__dict__.pop(method, None)
    del model
    engine.unload()
    if device == "cuda":
        free, total = torch.cuda.mem_get_info()
        print(
            f"After unload: {torch.cuda.memory_allocated() / MIB:.0f} MiB allocated, "
            f"{torch.cuda.memory_reserved() / MIB:.0f} MiB reserved by torch; the card has "
            f"{(total - free) / MIB:.0f} MiB in use (the CUDA context included)"
        )
    return rtfs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tokens", type=int, nargs="+", default=[25, 125, 250])
    parser.add_argument("--modes", nargs="+", default=["off", "on"], help="low_vram settings")
    parser.add_argument("--models", nargs="+", default=["original", "turbo", "multilingual"])
    args = parser.parse_args()
    checkpoints = {key: make_test_checkpoint.ensure(model=key) for key in args.models}
    name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    bw = bandwidth(args.device)
    print(
        f"# Chatterbox engine on {name} ({args.device}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; copy bandwidth {bw / 1e9:.1f} GB/s"
    )
    results: dict[tuple[str, str], dict[int, float]] = {}
    for key in args.models:
        for low_vram in args.modes:
            results[key, low_vram] = run_mode(
                key, checkpoints[key], args.device, low_vram, args.tokens, bw
            )
    if "original" not in args.models:
        return
    print("\n## RTF over the Original's, same precision and token count (goal for Turbo: <= 0.5)")
    print("| model | precision | " + " | ".join(f"{n} tokens" for n in args.tokens) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in args.tokens) + " |")
    for (key, low_vram), rtfs in results.items():
        base = results["original", low_vram]
        ratios = " | ".join(f"{rtfs[n] / base[n]:.2f}" for n in args.tokens)
        print(f"| {key} | {'low-VRAM' if low_vram == 'on' else 'fp32'} | {ratios} |")


if __name__ == "__main__":
    main()

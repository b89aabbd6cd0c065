"""The real Chatterbox engine on the random-weight test checkpoint: where the time and memory go.

For fp32 and for low-VRAM mode, at 25, 125 and 250 speech tokens (forced with the bounded-generation
hook, so every run makes exactly that many), it reports T3 milliseconds per token, S3Gen seconds
per second of audio, the real-time factor, peak RSS and, on CUDA, peak allocated VRAM. It measures
the device's memory bandwidth and prints T3's floor (its weight bytes read per token / bandwidth)
and how far above that floor each run is. Random weights cost the same per step as real ones.

Runs in the environment that has chatterbox-tts (it builds or reuses the cached checkpoint):
    .venv_real_chatterbox/bin/python bench/chatterbox_engine.py [--device cuda] [--tokens 25 125]
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


def timed_parts(model: Any) -> dict[str, float]:
    """Wrap T3 and S3Gen inference on this model instance; returns the dict they add seconds to."""
    spent = {"t3": 0.0, "s3gen": 0.0}
    for part, obj in (("t3", model.t3), ("s3gen", model.s3gen)):
        original = obj.inference

        def wrapper(*args: Any, _original=original, _part=part, **kwargs: Any) -> Any:
            sync(model.device)
            started = time.perf_counter()
            result = _original(*args, **kwargs)
            sync(model.device)
            spent[_part] += time.perf_counter() - started
            return result

        obj.inference = wrapper
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


def run_mode(checkpoint: Path, device: str, low_vram: str, tokens: list[int], bw: float) -> None:
    settings = Settings(
        _env_file=None,
        model_cache_dir=checkpoint,
        data_dir=ROOT / "data" / "bench",
        device=device,
        low_vram=low_vram,
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
    engine.synthesize(TEXT, voice, SynthesisParams(seed=0))  # warm-up: lazy initialisation
    weight_bytes = t3_weight_bytes(model)
    floor_ms = weight_bytes / bw * 1000
    mode = engine.info()["precision"]
    print(
        f"\n## {'low-VRAM' if mode['low_vram'] else 'fp32'} on {device}: T3 {mode['t3']}, "
        f"flow {mode['flow']}, vocoder {mode['vocoder']}; load {load_s:.1f} s; "
        f"T3 weights read per token {weight_bytes / MIB:.0f} MiB -> floor {floor_ms:.2f} ms/token"
    )
    print(
        "| tokens | audio s | T3 ms/token | x floor | S3Gen s per audio s | RTF | peak RSS MiB"
        " | peak VRAM MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in tokens:
        bound.tokens = n
        spent.update(t3=0.0, s3gen=0.0)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        with PeakRss() as rss:
            started = time.perf_counter()
            audio = engine.synthesize(TEXT, voice, SynthesisParams(seed=0))
            wall = time.perf_counter() - started
        per_token = spent["t3"] / n * 1000
        vram = torch.cuda.max_memory_allocated() / MIB if device == "cuda" else None
        print(
            f"| {n} | {audio.seconds:.2f} | {per_token:.1f} | {per_token / floor_ms:.1f} | "
            f"{spent['s3gen'] / audio.seconds:.2f} | {wall / audio.seconds:.2f} | "
            f"{rss.peak / MIB:.0f} | {'-' if vram is None else f'{vram:.0f}'} |"
        )
    bound.remove()
    for part in (model.t3, model.s3gen):
        del part.inference  # the timing wrappers hold the model: let it go with the engine
    del model
    engine.unload()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tokens", type=int, nargs="+", default=[25, 125, 250])
    parser.add_argument("--modes", nargs="+", default=["off", "on"], help="low_vram settings")
    parser.add_argument("--checkpoint", type=Path, help="default: the cached test checkpoint")
    args = parser.parse_args()
    checkpoint = make_test_checkpoint.ensure(args.checkpoint)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    bw = bandwidth(args.device)
    print(
        f"# Chatterbox engine on {name} ({args.device}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; copy bandwidth {bw / 1e9:.1f} GB/s"
    )
    for low_vram in args.modes:
        run_mode(checkpoint, args.device, low_vram, args.tokens, bw)


if __name__ == "__main__":
    main()

"""The model's lifecycle with the engine in its host process, measured in this one run.

1. Through the real server (Piper in its engine host): load and unload times, the server's and
   the host's RSS before the first load, loaded and after each unload (as ratios to the server's
   idle RSS), and what a request pays when the model was unloaded (keep-alive 0) against a
   resident one.
2. The pipe's cost per call: the same FakeEngine calls in this process and through an engine
   host (the fake's own work is a sine, so the difference is the crossing: pickling, the pipe,
   float32 audio back), per call and per second of audio, as a share of what Piper itself takes
   to speak a 200-character text (measured here too, in this process).

Usage: python bench/lifecycle.py [--cycles 5] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.core.settings import Settings  # noqa: E402
from backend.core.speech import SynthesisParams  # noqa: E402
from backend.engines.fake import SECONDS_PER_CHAR, FakeEngine  # noqa: E402
from backend.engines.host import EngineHost  # noqa: E402
from backend.engines.piper import PiperEngine  # noqa: E402
from bench.server import piper_server  # noqa: E402

TEXT = "The model stays resident between requests unless keep-alive says otherwise."
TEXT_200 = (
    "A narrator reads the chapter aloud while the listener follows the words on the page, and "
    "every sentence arrives a moment after the last one, as steady as rain on a tin roof in the "
    "night, till the end."
)
MIB = 1024 * 1024


def timed(call: Callable[[], requests.Response]) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    return time.perf_counter() - started, response


def rss(url: str) -> tuple[int, int]:
    """(server RSS, host RSS or 0) from /health."""
    health = requests.get(url + "/health", timeout=10).json()
    return health["memory"]["rss_bytes"], health["engine_host"]["rss_bytes"] or 0


def server_lifecycle(cycles: int) -> None:
    with piper_server() as url:
        idle, _ = rss(url)
        loads, unloads, loaded, after, resident, cold = [], [], [], [], [], []
        for _ in range(cycles):
            seconds, _ = timed(lambda: requests.post(url + "/model/load", timeout=120))
            loads.append(seconds)
            for _ in range(3):
                seconds, _ = timed(lambda: requests.post(url + "/tts", json={"text": TEXT}))
                resident.append(seconds)
            loaded.append(rss(url))
            seconds, _ = timed(lambda: requests.post(url + "/model/unload", timeout=120))
            unloads.append(seconds)
            after.append(rss(url))
            # A request to an unloaded model starts a host and loads it (keep-alive 0's cost).
            seconds, _ = timed(lambda: requests.post(url + "/tts", json={"text": TEXT}))
            cold.append(seconds)
            requests.post(url + "/model/unload", timeout=120).raise_for_status()

    server_loaded = statistics.median(r[0] for r in loaded)
    host_loaded = statistics.median(r[1] for r in loaded)
    server_after = statistics.median(r[0] for r in after)
    warm, first = statistics.median(resident), statistics.median(cold)
    load, unload = statistics.median(loads), statistics.median(unloads)
    print(f"1. The server, Piper in its engine host: median of {cycles} cycles")
    print(f"   load {load * 1000:.0f} ms (host start + model), unload {unload * 1000:.0f} ms")
    print(
        f"   server RSS: idle {idle / MIB:.0f} MiB; loaded {server_loaded / idle:.3f} x idle "
        f"(+ host {host_loaded / MIB:.0f} MiB = {(server_loaded + host_loaded) / idle:.2f} x); "
        f"after unload {server_after / idle:.3f} x idle, host 0"
    )
    print(
        f"   /tts resident {warm * 1000:.0f} ms; after an unload (host start and load included) "
        f"{first * 1000:.0f} ms: {first / warm:.2f} x"
    )


def per_call(engine, text: str, calls: int) -> float:
    """Median seconds of one prepare + synthesize call on `engine` (loaded first)."""
    engine.load()
    params, times = SynthesisParams(), []
    for _ in range(calls):
        started = time.perf_counter()
        engine.synthesize(text, engine.prepare_voice(None), params)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pipe_cost(calls: int) -> None:
    piper = PiperEngine(Settings(_env_file=None))
    engine_seconds = per_call(piper, TEXT_200, max(5, calls // 20))
    spoken = piper.synthesize(TEXT_200, piper.prepare_voice(None), SynthesisParams()).seconds
    piper.unload()
    print(f"2. The pipe, median of {calls} calls (FakeEngine here vs in its host)")
    print(
        f"   Piper alone, {len(TEXT_200)} characters: {engine_seconds * 1000:.0f} ms a call, "
        f"{spoken:.1f} s of audio"
    )
    for seconds_of_audio in (1.0, spoken, 60.0):
        text = "x" * round(seconds_of_audio / SECONDS_PER_CHAR)
        here = per_call(FakeEngine(), text, calls)
        host = EngineHost(FakeEngine)
        try:
            there = per_call(host, text, calls)
        finally:
            host.unload()
        cost = max(0.0, there - here)
        print(
            f"   {seconds_of_audio:>4.1f} s of 16 kHz audio: {cost * 1000:.2f} ms a call "
            f"({cost * 1000 / seconds_of_audio:.3f} ms per second of audio); "
            f"{cost / engine_seconds:.2%} of Piper's time on {len(TEXT_200)} characters"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    server_lifecycle(args.cycles)
    pipe_cost(args.calls)


if __name__ == "__main__":
    main()

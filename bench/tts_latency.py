"""/tts latency for a 200-character text through the real server vs Piper called directly, plus
the server's RSS idle, loaded and after unload. Prints ratios measured in this one run.

Usage: python bench/tts_latency.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.core.speech import SynthesisParams  # noqa: E402
from backend.engines.piper import PiperEngine  # noqa: E402
from bench.server import piper_server  # noqa: E402

TEXT = (
    "Chatterbox Studio turns documents into narration on your own computer. This sentence and "
    "the next are long enough for a fair latency test. "
    "Nothing you type or upload ever leaves the machine, not once."
)
assert len(TEXT) == 200, len(TEXT)


def median_seconds(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    engine = PiperEngine()
    engine.load()
    direct = median_seconds(lambda: engine.synthesize(TEXT, "builtin", SynthesisParams()), runs)
    audio_seconds = engine.synthesize(TEXT, "builtin", SynthesisParams()).seconds
    engine.unload()

    with piper_server() as url:
        idle = requests.get(url + "/health").json()["memory"]["rss_bytes"]
        requests.post(url + "/model/load").raise_for_status()
        loaded = requests.get(url + "/health").json()["memory"]["rss_bytes"]

        def over_http(fmt: str = "wav") -> None:
            r = requests.post(url + "/tts", json={"text": TEXT, "format": fmt}, timeout=60)
            r.raise_for_status()

        served = median_seconds(over_http, runs)
        served_mp3 = median_seconds(lambda: over_http("mp3"), runs)
        after_use = requests.get(url + "/health").json()["memory"]["rss_bytes"]
        report = requests.post(url + "/model/unload").json()

    mib = 1024 * 1024
    after_unload = report["after"]["rss_bytes"]
    print(f"text: {len(TEXT)} chars -> {audio_seconds:.2f} s of audio; median of {runs} runs")
    print(f"piper alone:        {direct * 1000:7.1f} ms (RTF {direct / audio_seconds:.3f})")
    print(
        f"/tts wav over HTTP: {served * 1000:7.1f} ms, ratio to piper alone {served / direct:.2f}"
    )
    print(f"/tts mp3 over HTTP: {served_mp3 * 1000:7.1f} ms, ratio {served_mp3 / direct:.2f}")
    print(
        f"server RSS MiB: idle {idle / mib:.0f}, loaded {loaded / mib:.0f}, after use "
        f"{after_use / mib:.0f}, after unload {after_unload / mib:.0f}, "
        f"loaded/idle {loaded / idle:.2f}"
    )


if __name__ == "__main__":
    main()

"""Streaming speech: time to first byte vs time to the full response for a 2,000-character text
through POST /v1/audio/speech on the real server (Piper), and the ratio of the time to first byte
to the first sentence's synthesis by Piper alone, measured in this one run (goal: <= 1.2).

Usage: python bench/streaming.py [--runs 5] [--format pcm]
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
from backend.text.chunking import split_text  # noqa: E402
from bench.server import piper_server  # noqa: E402

SENTENCES = [
    "The harbour town woke slowly under a pale grey sky.",
    "Fishing boats rocked against the pier while gulls argued over the morning catch.",
    "In the bakery on the corner, the first loaves came out of the oven just after six.",
    "Children walked to school in twos and threes, kicking stones along the narrow lanes.",
    "By nine the market square was full of stalls selling apples, cheese and wool.",
]
TEXT = " ".join(SENTENCES * 6)[:2000].rsplit(" ", 1)[0] + "."
assert 1950 <= len(TEXT) <= 2000, len(TEXT)


def stream_once(url: str, fmt: str) -> tuple[float, float, int]:
    """(seconds to the first body byte, seconds to the last, bytes) of one streamed request."""
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": fmt}
    started = time.perf_counter()
    with requests.post(f"{url}/v1/audio/speech", json=body, stream=True, timeout=300) as r:
        r.raise_for_status()
        pieces = r.iter_content(chunk_size=None)
        received = len(next(pieces))
        first = time.perf_counter() - started
        received += sum(len(piece) for piece in pieces)
    return first, time.perf_counter() - started, received


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--format", default="pcm", choices=["mp3", "opus", "aac", "flac", "wav", "pcm"]
    )
    args = parser.parse_args()

    engine = PiperEngine()
    engine.load()
    first_sentence = split_text(TEXT, engine.capabilities.max_chars, first_alone=True)[0]
    engine.synthesize(first_sentence, "builtin", SynthesisParams())  # warm-up
    alone = []
    for _ in range(args.runs):
        started = time.perf_counter()
        engine.synthesize(first_sentence, "builtin", SynthesisParams())
        alone.append(time.perf_counter() - started)
    engine.unload()

    with piper_server() as url:
        requests.post(url + "/model/load").raise_for_status()
        stream_once(url, args.format)  # warm-up
        runs = [stream_once(url, args.format) for _ in range(args.runs)]

    ttfb = statistics.median(run[0] for run in runs)
    full = statistics.median(run[1] for run in runs)
    synth = statistics.median(alone)
    print(f"text: {len(TEXT)} chars; format {args.format}; median of {args.runs} runs")
    print(f"first sentence ({len(first_sentence)} chars) by Piper alone: {synth * 1000:.0f} ms")
    print(f"time to first byte:     {ttfb * 1000:7.0f} ms")
    print(f"time to full response:  {full * 1000:7.0f} ms")
    print(f"first byte / full response:           {ttfb / full:.3f}")
    print(f"first byte / first sentence synthesis: {ttfb / synth:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()

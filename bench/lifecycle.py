"""The model's lifecycle through the real server (Piper engine): load, unload, reload costs, what
unload gives back, and what a request pays when the model was unloaded (keep-alive 0) compared
with a resident model. Prints figures and ratios measured in this one run.

Usage: python bench/lifecycle.py [--cycles 5]
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

from bench.server import piper_server  # noqa: E402

TEXT = "The model stays resident between requests unless keep-alive says otherwise."
MIB = 1024 * 1024


def timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    return time.perf_counter() - started, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=5)
    cycles = parser.parse_args().cycles

    with piper_server() as url:
        idle = requests.get(url + "/health").json()["memory"]["rss_bytes"]
        loads, unloads, freed, resident, cold = [], [], [], [], []
        for _ in range(cycles):
            seconds, _ = timed(lambda: requests.post(url + "/model/load", timeout=120))
            loads.append(seconds)
            for _ in range(3):
                seconds, _ = timed(lambda: requests.post(url + "/tts", json={"text": TEXT}))
                resident.append(seconds)
            seconds, report = timed(lambda: requests.post(url + "/model/unload", timeout=120))
            unloads.append(seconds)
            freed.append(report.json()["freed"]["rss_bytes"] or 0)
            # A request to an unloaded model reloads it transparently (keep-alive 0's cost).
            seconds, _ = timed(lambda: requests.post(url + "/tts", json={"text": TEXT}))
            cold.append(seconds)
            requests.post(url + "/model/unload").raise_for_status()
        final = requests.get(url + "/health").json()["memory"]["rss_bytes"]

    load, unload = statistics.median(loads), statistics.median(unloads)
    warm, first = statistics.median(resident), statistics.median(cold)
    print(f"median of {cycles} load/unload cycles, Piper on the CPU")
    print(f"load {load * 1000:.0f} ms, unload {unload * 1000:.0f} ms")
    print(f"RSS freed by unload: median {statistics.median(freed) / MIB:.0f} MiB")
    print(
        f"server RSS MiB: idle before first load {idle / MIB:.0f}, after {cycles} cycles "
        f"unloaded {final / MIB:.0f} (growth {(final - idle) / MIB:.0f})"
    )
    print(
        f"/tts with the model resident {warm * 1000:.0f} ms; after an unload (reload included) "
        f"{first * 1000:.0f} ms; ratio {first / warm:.2f}"
    )


if __name__ == "__main__":
    main()

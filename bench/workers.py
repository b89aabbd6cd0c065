"""Pull workers (issue 19) on the CPU: scenes per second with one Piper worker and with two, each
pinned to a core of its own with one inference thread, against a coordinator that speaks nothing
itself (CHATTERBOX_LOCAL_WORKER=false); and what the coordinator spends per scene. Prints figures
and ratios measured in this one run.

  (a) scenes per second, 2 workers / 1 worker                          goal >= 1.6
  (b) coordinator seconds per scene: the sums of /metrics'
      chatterbox_coordinator_seconds{step=claim|renew|voice|submit}
      over the job, divided by its scenes                              goal < 20 ms
      and as a share of a scene's engine seconds (X-Engine-Seconds)

Each run narrates the same PDF (one scene a page, three or four sentences) as a new job, after a
warm-up job that loads Piper in every worker. Throughput is the job's scenes over its span: the
first scene's start (its claim) to the last scene's end (its audio stored). Runs alternate, one
worker then two, --rounds times; each round's ratio is printed and the median is the figure.
The coordinator itself is not pinned: on a 2-core machine it shares the cores with the workers,
so its request times include waiting for a core; its CPU seconds a scene are printed beside them
(those include this script's progress polls, one GET /jobs/{id} every half second).

Usage: python bench/workers.py [--pages 16] [--rounds 2] [--cores 0,1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psutil
import pymupdf
import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jobs import sentence  # noqa: E402
from bench.server import piper_server  # noqa: E402

GOAL_SPEEDUP = 1.6
GOAL_COORDINATOR_MS = 20.0
TOKEN = "bench-worker-token"
STEPS = ("claim", "renew", "voice", "submit")
# One inference thread a worker: onnxruntime's intra-op pool for Piper (CHATTERBOX_PIPER_THREADS;
# OMP_NUM_THREADS does not reach it), and OpenMP's and BLAS's for whatever else reads them.
ONE_THREAD = {
    "CHATTERBOX_PIPER_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def make_pdf(pages: int, seed: int = 19) -> bytes:
    """`pages` pages of three to four sentences each: one scene a page."""
    rng = random.Random(seed)
    doc = pymupdf.open()
    for _ in range(pages):
        text = " ".join(sentence(rng) for _ in range(rng.randint(3, 4)))
        doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=11)
    return doc.tobytes()


def coordinator_seconds(http: requests.Session, url: str) -> dict[str, tuple[float, float]]:
    """step -> (sum of seconds, count) of chatterbox_coordinator_seconds so far."""
    text = http.get(url + "/metrics", timeout=30).text
    found = {step: [0.0, 0.0] for step in STEPS}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            step = sample.labels.get("step")
            if step not in found:
                continue
            if sample.name == "chatterbox_coordinator_seconds_sum":
                found[step][0] += sample.value
            elif sample.name == "chatterbox_coordinator_seconds_count":
                found[step][1] += sample.value
    return {step: (total, count) for step, (total, count) in found.items()}


def start_worker(url: str, name: str, core: int, data: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        **ONE_THREAD,
        "CHATTERBOX_ENGINE": "piper",
        "CHATTERBOX_DATA_DIR": str(data / name),
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "backend", "worker", "--coordinator", url]
    return subprocess.Popen(
        [*command, "--token", TOKEN, "--name", name],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
    )


def engine_threads(pid: int) -> int:
    """Threads of the worker's engine host (the child process Piper runs in), or of the worker
    itself where it has no child; the child inherits the worker's core."""
    worker = psutil.Process(pid)
    children = worker.children(recursive=True)
    return sum(child.num_threads() for child in children) if children else worker.num_threads()


def narrate(http: requests.Session, url: str, pdf: bytes, title: str) -> dict:
    """A job of `pdf`, until it has completed; the job."""
    response = http.post(
        url + "/jobs", files={"file": ("bench.pdf", pdf, "application/pdf")}, data={"title": title}
    )
    response.raise_for_status()
    job_url = f"{url}/jobs/{response.json()['id']}"
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        job = http.get(job_url, timeout=30).json()
        if job["status"] == "completed":
            return job
        if job["status"] in ("failed", "cancelled"):
            sys.exit(f"the job ended {job['status']}: {job.get('error_message')}")
        time.sleep(0.5)
    sys.exit("the job did not complete within 30 minutes")


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def run(
    http: requests.Session, url: str, pdf: bytes, cores: list[int], data: Path, label: str
) -> dict:
    """Workers on `cores`, warmed up, then the timed job; its figures."""
    names = [f"bench-{label}-core{core}" for core in cores]  # /workers counts per name
    workers = [start_worker(url, n, c, data) for n, c in zip(names, cores, strict=True)]
    coordinator = next(
        child for child in psutil.Process().children() if "uvicorn" in " ".join(child.cmdline())
    )
    try:
        narrate(http, url, make_pdf(len(cores) * 2, seed=7), "warm-up")  # Piper loaded in each
        load = os.getloadavg()[0]
        before, cpu = coordinator_seconds(http, url), cpu_seconds(coordinator)
        job = narrate(http, url, pdf, label)
        after, cpu = coordinator_seconds(http, url), cpu_seconds(coordinator) - cpu
        threads = [engine_threads(w.pid) for w in workers]
        seen = http.get(url + "/workers", timeout=30).json()["workers"]
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    scenes = job["scenes"]
    first = min(stamp(s["started_at"]) for s in scenes)
    span = max(stamp(s["finished_at"]) for s in scenes) - first
    spent = {
        step: (after[step][0] - before[step][0], after[step][1] - before[step][1]) for step in STEPS
    }
    by_worker = {w["name"]: w["scenes"] for w in seen if w["name"] in names}
    return {
        "scenes": len(scenes),
        "span": span,
        "rate": len(scenes) / span,
        "engine": sum(s["engine_seconds"] for s in scenes) / len(scenes),
        "audio": sum(s["duration_seconds"] for s in scenes),
        "spent": spent,
        "threads": threads,
        "by_worker": by_worker,
        "cpu": cpu,
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cores", default="0,1", help="the two cores the workers are pinned to")
    args = parser.parse_args()
    cores = [int(core) for core in args.cores.split(",")][:2]
    if len(cores) != 2 or not set(cores) <= os.sched_getaffinity(0):
        sys.exit(f"--cores needs two cores of this machine's {sorted(os.sched_getaffinity(0))}")

    load_before = os.getloadavg()[0]
    pdf = make_pdf(args.pages)
    env = {
        "CHATTERBOX_LOCAL_WORKER": "false",
        "CHATTERBOX_WORKER_TOKEN": TOKEN,
        "CHATTERBOX_QUALITY_CHECK": "off",
    }
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {TOKEN}"  # /metrics; the other routes need none
    rounds: list[tuple[dict, dict]] = []
    with piper_server(**env) as url, tempfile.TemporaryDirectory() as data:
        for number in range(1, args.rounds + 1):
            one = run(http, url, pdf, cores[:1], Path(data), f"r{number}-1w")
            two = run(http, url, pdf, cores, Path(data), f"r{number}-2w")
            rounds.append((one, two))

    first = rounds[0][0]
    print(
        f"PDF: {args.pages} pages -> {first['scenes']} scenes, {first['audio']:.1f} s of audio "
        f"(piper, one intra-op thread a worker)"
    )
    print(f"{os.cpu_count()} CPUs, 1-minute load average before the run: {load_before:.2f}")
    speedups = []
    for number, (one, two) in enumerate(rounds, 1):
        for label, result in (("1 worker ", one), ("2 workers", two)):
            print(
                f"round {number}, {label}: {result['rate']:.3f} scenes/s ({result['scenes']} "
                f"scenes in {result['span']:.1f} s; engine {result['engine'] * 1000:.0f} ms a "
                f"scene; load {result['load']:.2f}; engine threads {result['threads']}; scenes "
                f"per worker {result['by_worker']})"
            )
        speedups.append(two["rate"] / one["rate"])
        print(f"round {number}: 2 workers / 1 worker {speedups[-1]:.2f}x")
    speedup = statistics.median(speedups)
    verdict = "ok" if speedup >= GOAL_SPEEDUP else "MISSED"
    print(
        f"(a) 2 workers / 1 worker: {speedup:.2f}x, median of {len(speedups)} rounds "
        f"(goal >= {GOAL_SPEEDUP}: {verdict})"
    )
    for label, index in (("1 worker ", 0), ("2 workers", 1)):
        results = [pair[index] for pair in rounds]
        scenes = sum(r["scenes"] for r in results)
        spent = {
            step: (
                sum(r["spent"][step][0] for r in results),
                sum(r["spent"][step][1] for r in results),
            )
            for step in STEPS
        }
        per_scene = sum(total for total, _ in spent.values()) / scenes
        engine = sum(r["engine"] * r["scenes"] for r in results) / scenes
        cpu = sum(r["cpu"] for r in results) / scenes
        parts = ", ".join(
            f"{step} {total * 1000 / scenes:.2f} ms ({count / scenes:.1f} calls)"
            for step, (total, count) in spent.items()
        )
        verdict = "ok" if per_scene * 1000 < GOAL_COORDINATOR_MS else "MISSED"
        print(
            f"(b) {label}: coordinator {per_scene * 1000:.2f} ms a scene (goal < "
            f"{GOAL_COORDINATOR_MS:g} ms: {verdict}) = {per_scene / engine:.4f} of a scene's "
            f"engine seconds; {parts}; coordinator CPU {cpu * 1000:.1f} ms a scene"
        )


if __name__ == "__main__":
    main()

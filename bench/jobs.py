"""A PDF narration job through the real server: how soon the first scene plays, and how much of
the job's wall time is the engine's. Prints figures and ratios measured in this one run.

  (a) POST /jobs sent -> GET /jobs/{id}/scenes/1/audio answers 200 (polled every 20 ms)
  (b) the first page extracted alone (extract_pages in this process, first page yielded)
      + scene 1's engine_seconds from the job            goal: (a)/(b) <= 1.2
  (c) first scene started_at -> last scene finished_at
      vs the sum of every scene's engine_seconds          goal: ratio <= 1.05

The PDF is generated here with PyMuPDF: prose paragraphs, 1,500-2,500 characters a page, a page
number in every footer. The model is loaded before the job is sent, so loading is not counted.

The server's per-scene quality check (Whisper hears each scene; CHATTERBOX_QUALITY_CHECK) runs as
configured, "auto" by default; --quality on/off sets it for this run. Its time is not engine time.

Usage: python bench/jobs.py [--pages 100] [--quality auto|on|off]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import psutil
import pymupdf
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.jobs.pdf import extract_pages  # noqa: E402
from bench.server import piper_server  # noqa: E402

GOAL_FIRST_SCENE = 1.2
GOAL_WALL = 1.05

# Sentence parts: a seeded generator combines them into varied prose of every length.
SUBJECTS = [
    "The old lighthouse keeper",
    "A narrow road along the coast",
    "Her younger brother",
    "The committee",
    "Every traveller who reached the valley",
    "The morning train from the capital",
    "A small wooden boat",
    "The library on the hill",
    "Nobody in the village",
    "The engineer",
    "Our neighbours",
    "The wind from the north",
]
VERBS = [
    "had waited for",
    "quietly described",
    "never understood",
    "carried",
    "remembered",
    "argued about",
    "slowly rebuilt",
    "walked past",
    "wrote a letter about",
    "looked again at",
]
OBJECTS = [
    "the harbour and its grey stones",
    "a map drawn by hand",
    "the long winter of that year",
    "the orchard behind the school",
    "a question nobody wanted to ask",
    "the bridge over the river",
    "three baskets of apples",
    "the clock in the station hall",
    "the promise made at the wedding",
    "a garden full of wild roses",
]
TAILS = [
    "",
    " before the sun went down",
    " while the rain kept falling",
    " because there was nothing else to do",
    " although the evening was cold",
    " as the bells rang across the square",
    " for the first time in many years",
    " without saying a single word",
]
ASIDES = [
    "Nobody could say for certain why.",
    "It was, by all accounts, a strange season.",
    "Some said it would happen again next spring.",
    "What would the others think of it?",
    "The answer came much later, in a letter.",
    "By then the snow had reached the lower fields.",
    "In the end, everyone agreed it had been worth it.",
    "She laughed, and then she fell silent.",
]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(ASIDES)
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"
    if rng.random() < 0.3:
        text += f", and {rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    return text + "."


def make_pdf(pages: int, seed: int = 2026) -> tuple[bytes, int]:
    """A text PDF of `pages` pages; returns its bytes and how many characters of prose it holds."""
    rng = random.Random(seed)
    doc = pymupdf.open()
    total = 0
    for number in range(1, pages + 1):
        page = doc.new_page()  # A4-ish default: 595 x 842 points
        target, length, y = rng.randint(1500, 2400), 0, 72.0
        while length < target:
            paragraph = sentence(rng)
            for _ in range(rng.randint(2, 6)):
                if length + len(paragraph) >= target:
                    break
                paragraph += " " + sentence(rng)
            box = pymupdf.Rect(72, y, 523, 770)
            spare = page.insert_textbox(box, paragraph, fontsize=11, fontname="tiro")
            if spare < 0:  # did not fit (nothing was written): the page is full
                break
            y = box.y1 - spare + 9
            length += len(paragraph) + 1
        page.insert_text((280, 805), f"Page {number}", fontsize=9, fontname="helv")
        total += length
    return doc.tobytes(), total


def first_page_seconds(data: bytes, pages: str | None = None) -> float:
    """Seconds until extract_pages yields its first page (child start included)."""
    started = time.perf_counter()
    with contextlib.closing(extract_pages(data, pages=pages)) as page_iter:
        next(page_iter)
        return time.perf_counter() - started


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def cpu_seconds(process: psutil.Process) -> float:
    """User plus system CPU seconds a process has used so far."""
    times = process.cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--quality", choices=["auto", "on", "off"], default=None)
    args = parser.parse_args()
    pages = args.pages

    load_before = os.getloadavg()[0]  # other work on the machine skews every figure below
    pdf, chars = make_pdf(pages)
    extract_runs = [first_page_seconds(pdf) for _ in range(3)]
    extract_first = statistics.median(extract_runs)
    extract_only_page1 = statistics.median(first_page_seconds(pdf, "1") for _ in range(3))

    http = requests.Session()
    env = {"CHATTERBOX_QUALITY_CHECK": args.quality} if args.quality else {}
    with piper_server(**env) as url:
        http.post(url + "/model/load", timeout=120).raise_for_status()
        # The engine speaks in its host process; the server process hears (the Whisper check,
        # on its own thread) and answers HTTP: their CPU over the job is the checker's share.
        host = psutil.Process(http.get(url + "/health", timeout=10).json()["engine_host"]["pid"])
        server = host.parent()
        cpu_before = (cpu_seconds(server), cpu_seconds(host))

        # (a) POST /jobs sent -> scene 1 audio answers 200
        sent_wall, sent = time.time(), time.perf_counter()
        response = http.post(
            url + "/jobs",
            files={"file": ("bench.pdf", pdf, "application/pdf")},
            data={"title": "bench"},
            timeout=120,
        )
        answered = time.perf_counter() - sent
        response.raise_for_status()
        job_id = response.json()["id"]
        scene_url = f"{url}/jobs/{job_id}/scenes/1/audio"
        while True:
            status = http.get(scene_url, timeout=10).status_code
            if status == 200:
                playable = time.perf_counter() - sent
                break
            if status != 409 or time.perf_counter() - sent > 300:
                sys.exit(f"scene 1 audio: HTTP {status}")
            time.sleep(0.02)

        # the rest of the job: cheap progress polls, then 20 ms polls for the assembly
        last_print = time.perf_counter()
        while True:
            jobs = http.get(url + "/jobs", timeout=10).json()["jobs"]
            job = next(j for j in jobs if j["id"] == job_id)
            if job["status"] == "completed":
                break
            if job["status"] in ("failed", "cancelled"):
                sys.exit(f"the job ended {job['status']}: {job.get('error_message')}")
            progress = job["progress"]
            if time.perf_counter() - last_print >= 10:
                last_print = time.perf_counter()
                print(
                    f"[{last_print - sent:6.0f} s] {progress['completed']}/"
                    f"{progress['total']} scenes, extraction {job['extraction_status']}",
                    file=sys.stderr,
                )
            # from the last scene on, poll every 20 ms to see when the assembly ends
            last = progress["completed"] >= progress["total"] - 1
            time.sleep(0.02 if last and job["extraction_status"] == "completed" else 1.0)
        completed_wall = time.time()
        server_cpu = cpu_seconds(server) - cpu_before[0]
        host_cpu = cpu_seconds(host) - cpu_before[1]
        job = http.get(f"{url}/jobs/{job_id}", timeout=30).json()

    scenes = job["scenes"]
    first = scenes[0]
    first_engine = first["engine_seconds"]
    expected = extract_first + first_engine
    started = min(stamp(s["started_at"]) for s in scenes)
    finished = max(stamp(s["finished_at"]) for s in scenes)
    wall = finished - started
    engine = sum(s["engine_seconds"] for s in scenes)
    audio = sum(s["duration_seconds"] for s in scenes)
    in_scene = sum(stamp(s["finished_at"]) - stamp(s["started_at"]) for s in scenes)
    assembly_seen = completed_wall - finished
    assembly_server = stamp(job["finished_at"]) - finished
    scored = [s["quality"] for s in scenes if s["quality"]]

    print(f"PDF: {pages} pages, {chars} characters of prose -> {len(scenes)} scenes (piper)")
    print(f"{os.cpu_count()} CPUs, 1-minute load average before the run: {load_before:.2f}")
    setting = args.quality or os.environ.get("CHATTERBOX_QUALITY_CHECK", "auto")
    if scored:
        retaken = sum(q["takes"] > 1 for q in scored)
        print(
            f"quality check ({setting}): {len(scored)} scenes scored, mean WER "
            f"{statistics.mean(q['wer'] for q in scored):.3f}, {retaken} re-taken, "
            f"{sum(q['takes'] for q in scored)} takes in all"
        )
    else:
        print(f"quality check ({setting}): no scene was scored")
    print(
        f"extract_pages, first page yielded: {extract_first * 1000:.0f} ms (median of 3: "
        + ", ".join(f"{t * 1000:.0f}" for t in extract_runs)
        + f"); with pages='1' only: {extract_only_page1 * 1000:.0f} ms"
    )
    print(
        f"(a) first scene playable: {playable:.2f} s (POST /jobs answered after {answered:.2f} s; "
        f"scene 1 claimed at +{stamp(first['started_at']) - sent_wall:.2f} s, "
        f"finished at +{stamp(first['finished_at']) - sent_wall:.2f} s)"
    )
    print(
        f"(b) first page + scene 1 engine: {expected:.2f} s "
        f"({extract_first:.2f} + {first_engine:.2f}; scene 1: {len(first['text'])} chars, "
        f"{first['duration_seconds']:.1f} s of audio)"
    )
    verdict = "ok" if playable / expected <= GOAL_FIRST_SCENE else "MISSED"
    print(f"    ratio (a)/(b): {playable / expected:.2f} (goal <= {GOAL_FIRST_SCENE}: {verdict})")
    verdict = "ok" if wall / engine <= GOAL_WALL else "MISSED"
    print(
        f"(c) job wall time {wall:.1f} s vs engine sum {engine:.1f} s: ratio {wall / engine:.3f} "
        f"(goal <= {GOAL_WALL}: {verdict})"
    )
    print(
        f"    overhead {wall - engine:.1f} s = {(in_scene - engine) * 1000 / len(scenes):.0f} ms "
        f"a scene inside claim..finish + {(wall - in_scene) * 1000 / len(scenes):.0f} ms "
        "a scene between scenes"
    )
    print(
        f"audio: {audio:.1f} s ({audio / 60:.1f} min); real-time factor: wall {wall / audio:.3f}, "
        f"engine {engine / audio:.3f}"
    )
    print(
        f"CPU over the job: server process {server_cpu:.1f} s (the check's Whisper, HTTP), engine "
        f"host {host_cpu:.1f} s; the checker's share {server_cpu / (server_cpu + host_cpu):.0%} "
        f"(an upper bound: HTTP and assembly count on the server's side)"
    )
    print(
        f"final assembly: {assembly_seen:.2f} s from the last scene finished until GET /jobs "
        f"said completed ({assembly_server:.2f} s by the job's finished_at)"
    )


if __name__ == "__main__":
    main()

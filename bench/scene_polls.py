"""What one poll of the studio's job view costs for a long job: the whole job (GET /jobs/{id},
every scene, as the studio polled before) against the studio's SceneFeed poll now (the job and a
short page from the first unsettled scene). Prints bytes and wall time per poll, and the ratios,
measured in this one run.

The server is the real app on a loopback port (fake engine, SQLite in a temporary folder). The job
is written straight into its store and never handed to the worker, so it stands still: half its
scenes spoken with page images, one being spoken, the rest waiting; each scene about 300
characters, as a PDF page's scene is.

Usage: python bench/scene_polls.py [--scenes 3000] [--polls 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.core.settings import Settings  # noqa: E402
from backend.engines.fake import FakeEngine  # noqa: E402
from backend.jobs.store import JobStore  # noqa: E402
from backend.main import create_app  # noqa: E402
from frontend.api_client import ApiClient  # noqa: E402
from frontend.scene_feed import SceneFeed  # noqa: E402
from tests.helpers.live import serving  # noqa: E402

SENTENCE = "The miller walked along the river bank and counted the boats that passed the weir. "


def seed(store: JobStore, scenes: int) -> str:
    job_id = store.create_job("Long book", "pdf", "/tmp/book.pdf", "builtin", {"rate": 1.0}, None)[
        "id"
    ]
    rows = [
        {
            "text": (SENTENCE * 4)[:300],
            "page": 1 + n // 6,
            "bbox": [72.0, 100.0 + n % 6, 540.0, 220.0],
            "chapter": f"Chapter {1 + n // 150}",
        }
        for n in range(scenes)
    ]
    store.add_scenes(job_id, rows)
    store.set_extraction(job_id, "completed", total_pages=1 + scenes // 6)
    for _ in range(scenes // 2):
        scene = store.claim_next_scene(job_id)
        assert scene is not None
        idx = scene["idx"]
        quality = {"takes": 1, "wer": 0.0, "speaker_min_similarity": 0.75}
        store.complete_scene(job_id, idx, f"/data/jobs/{job_id}/scenes/{idx:05d}.wav", 17.2, 4.1,
                             quality, 0.91)  # fmt: skip
        store.set_scene_image(job_id, idx, "completed", f"/data/jobs/{job_id}/images/{idx:05d}.png")
    store.claim_next_scene(job_id)  # the scene being spoken now
    return job_id


def measure(poll, polls: int) -> tuple[float, float, float]:
    """Medians over `polls` of one poll's (bytes received, seconds in HTTP, seconds in all);
    `poll` returns the (bytes, seconds) of the responses it received."""
    sizes, waits, times = [], [], []
    for _ in range(polls):
        started = time.perf_counter()
        size, wait = poll()
        times.append(time.perf_counter() - started)
        sizes.append(size)
        waits.append(wait)
    return statistics.median(sizes), statistics.median(waits), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=3000)
    parser.add_argument("--polls", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            _env_file=None, data_dir=Path(data), load_on_startup=False, quality_check="off"
        )
        app = create_app(settings, FakeEngine())
        with serving(app) as url:
            job_id = seed(app.state.jobs.store, args.scenes)
            api = ApiClient(url)
            got: list[tuple[int, float]] = []  # each response: bytes, request sent -> answered
            api._http.hooks["response"].append(
                lambda r, *_, **__: got.append((len(r.content), r.elapsed.total_seconds()))
            )

            def received() -> tuple[int, float]:
                size, wait = sum(g[0] for g in got), sum(g[1] for g in got)
                got.clear()
                return size, wait

            def whole_job() -> tuple[int, float]:
                api.job(job_id)
                return received()

            feed = SceneFeed(job_id)
            first = feed.poll(api)
            requests_first = len(got)
            first_bytes, _ = received()

            def feed_poll() -> tuple[int, float]:
                feed.poll(api)
                return received()

            before = measure(whole_job, args.polls)
            after = measure(feed_poll, args.polls)
            feed.poll(api)
            requests_after = len(got)
            assert feed.poll(api) == first == api.job(job_id)  # nothing moved, nothing missed
    print(f"{args.scenes} scenes, {args.scenes // 2} spoken, one being spoken; {args.polls} polls")
    print("                              bytes    in HTTP    whole poll")
    for name, (size, wait, whole) in (
        ("before: GET /jobs/{id}", before),
        ("after: SceneFeed", after),
    ):
        print(f"{name:24} {size / 1024:8.1f} KiB {wait * 1e3:7.1f} ms {whole * 1e3:9.1f} ms")
    ratios = [b / a for b, a in zip(before, after, strict=True)]
    print(f"{'ratio before/after':24} {ratios[0]:8.0f}x   {ratios[1]:7.1f}x {ratios[2]:9.1f}x")
    print(f"requests per poll: {requests_after} (a new session's first: {requests_first}, "
          f"{first_bytes / 1024:.1f} KiB)")  # fmt: skip


if __name__ == "__main__":
    main()

"""JobMetrics: what /metrics reports about narration work, in the Prometheus text format.

One registry per server (never the client library's global one), so two apps in one process
(tests) count apart. Counters and histograms are kept as work happens; the scene gauges are
read from the job store at each scrape, so they are right after a restart too.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from backend.jobs import store_schema as sql

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LOCAL = "local"  # the coordinator's own engine, as a worker
STEPS = ("claim", "renew", "voice", "submit", "release")
# Seconds: a worker request's own cost is milliseconds; a scene's wait can be hours.
STEP_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
WAIT_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)


class _SceneGauges(Collector):
    """Pending and running scenes, and the workers seen lately, counted when scraped."""

    def __init__(self, path: Path, seen: dict[str, float], window: float):
        self._db = sql.Database(path)
        self._seen = seen
        self._window = window

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._db.read() as db:
            pending, running = _scene_counts(db)
        yield GaugeMetricFamily(
            "chatterbox_scenes_pending",
            "Scenes waiting for a worker, in unfinished jobs that are not paused.",
            value=pending,
        )
        yield GaugeMetricFamily(
            "chatterbox_scenes_running", "Scenes being spoken now, by any worker.", value=running
        )
        since = time.time() - self._window
        seen = sum(1 for last in list(self._seen.values()) if last >= since)
        yield GaugeMetricFamily(
            "chatterbox_workers", "Workers heard from within the last lease length.", value=seen
        )

    def close(self) -> None:
        self._db.close()


def _scene_counts(db: sqlite3.Connection) -> tuple[int, int]:
    row = db.execute(
        "SELECT COALESCE(SUM(s.audio_status = 'pending' AND j.paused = 0), 0),"
        " COALESCE(SUM(s.audio_status = 'processing'), 0)"
        " FROM scenes s JOIN jobs j ON j.id = s.job_id"
        " WHERE j.status IN ('pending', 'processing')"
    ).fetchone()
    return int(row[0]), int(row[1])


class JobMetrics:
    """Thread-safe (the client library's metrics are)."""

    def __init__(self, path: Path, lease_seconds: float):
        self.registry = CollectorRegistry(auto_describe=True)
        self.seen: dict[str, float] = {}  # worker name -> when last heard (time.time)
        self._seen_lock = threading.Lock()
        self._gauges = _SceneGauges(Path(path), self.seen, lease_seconds)
        self.registry.register(self._gauges)
        r = self.registry
        self.completed = Counter(
            "chatterbox_scenes_completed",
            "Scenes completed (first takes), by the worker that spoke them.",
            ["worker"],
            registry=r,
        )
        self.engine_seconds = Counter(
            "chatterbox_engine_seconds",
            "Seconds of synthesis the scenes took, by worker.",
            ["worker"],
            registry=r,
        )
        self.expiries = Counter(
            "chatterbox_lease_expiries",
            "Leases that ran out before their scene came back.",
            registry=r,
        )
        self.queue_wait = Histogram(
            "chatterbox_queue_wait_seconds",
            "How long a scene waited, from pending to claimed.",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.steps = Histogram(
            "chatterbox_coordinator_seconds",
            "The coordinator's own time for each worker request, by step.",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=r,
        )
        for step in STEPS:
            self.steps.labels(step)  # every step listed from the start, at zero
        self.completed.labels(LOCAL)
        self.engine_seconds.labels(LOCAL)

    def scene_done(self, worker: str, engine_seconds: float) -> None:
        self.completed.labels(worker).inc()
        self.engine_seconds.labels(worker).inc(max(0.0, engine_seconds))

    def heard(self, worker: str) -> None:
        with self._seen_lock:
            self.seen[worker] = time.time()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps.labels(name).observe(time.perf_counter() - started)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        self._gauges.close()

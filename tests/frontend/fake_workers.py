"""The FakeApi's pull workers: GET /workers as the server answers it, with workers tests add."""

from __future__ import annotations

import time
from typing import Any

from frontend.api_protocol import WorkerListBody


class FakeWorkers:
    """Mixed into FakeApi, whose `_enter` this uses. `pull_workers` holds the workers the server
    has heard from; `workers_enabled` whether it takes any (at first neither, as on a server
    without a worker token); `add_worker` adds one, to a server that takes them.
    Each is kept with how long before a call it was last heard, so `last_seen` (unix seconds)
    stays that far behind the clock whenever the studio asks."""

    pull_workers: list[dict[str, Any]]
    workers_enabled: bool = False

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def add_worker(
        self,
        name: str,
        engine: str | None = "piper",
        *,
        scenes: int = 0,
        leases: int = 0,
        seen_ago: float | None = 0.0,
    ) -> None:
        """A worker heard from `seen_ago` seconds before each call (None: never heard)."""
        self.workers_enabled = True
        worker = {"name": name, "engine": engine, "scenes": scenes, "leases": leases}
        self.pull_workers.append({**worker, "seen_ago": seen_ago})

    def workers(self) -> WorkerListBody:
        self._enter("workers")
        now = time.time()
        listed = []
        for worker in sorted(self.pull_workers, key=lambda worker: worker["name"]):
            public = {key: value for key, value in worker.items() if key != "seen_ago"}
            ago = worker["seen_ago"]
            listed.append({**public, "last_seen": None if ago is None else now - ago})
        return {"enabled": self.workers_enabled, "workers": listed}

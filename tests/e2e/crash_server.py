"""The real server (Piper), set to die at a chosen point around a scene write, for the crash tests.

CRASH_AT picks the point: `after_file` (scene audio written, its row not yet completed),
`after_commit` (row committed), `after_claim` (scene claimed, nothing spoken yet) or
`before_source` (a PDF job's row made, its source path not yet recorded). CRASH_ON
is which occurrence (1 = the first scene). The process ends with os._exit(70): no shutdown code
runs, as with a power cut. Everything else is the product's code.
"""

from __future__ import annotations

import os

import uvicorn

from backend.core.settings import Settings
from backend.jobs.store import JobStore
from backend.jobs.store_takes import TakeStore
from backend.main import create_app

POINT = os.environ["CRASH_AT"]
ON = int(os.environ.get("CRASH_ON", "1"))
seen = 0


def _count() -> bool:
    global seen
    seen += 1
    return seen == ON


# A scene's take is stored, and a first take completes its scene, in one commit (add_take).
add_take, claim_next_scene = TakeStore.add_take, JobStore.claim_next_scene
set_source_path = JobStore.set_source_path


def crashing_complete(self, *args, **kwargs):
    if POINT == "after_file" and _count():
        os._exit(70)
    result = add_take(self, *args, **kwargs)
    if POINT == "after_commit" and _count():
        os._exit(70)
    return result


def crashing_claim(self, *args, **kwargs):
    scene = claim_next_scene(self, *args, **kwargs)
    if scene is not None and POINT == "after_claim" and _count():
        os._exit(70)
    return scene


def crashing_source(self, *args, **kwargs):
    if POINT == "before_source" and _count():
        os._exit(70)
    return set_source_path(self, *args, **kwargs)


TakeStore.add_take = crashing_complete
JobStore.set_source_path = crashing_source
JobStore.claim_next_scene = crashing_claim

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_level="info")

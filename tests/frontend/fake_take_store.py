"""The takes of the fake's scenes, kept on the job record as the server keeps them in `takes`.

A record's "_takes" maps a scene's idx to its takes (oldest first) and "_requests" lists the
re-takes asked for and not yet made; fake_jobs.public leaves both out of the JSON.
"""

from __future__ import annotations

import copy
from typing import Any

MAX_TAKES_KEPT = 5  # the server's default (CHATTERBOX_MAX_TAKES_KEPT)
SCENE_PARAMS = ("seed", "exaggeration", "cfg_weight", "temperature", "rate")


def takes_of(job: dict[str, Any], idx: int) -> list[dict[str, Any]]:
    return job.setdefault("_takes", {}).setdefault(idx, [])


def requests_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.setdefault("_requests", [])


def record(
    job: dict[str, Any], scene: dict[str, Any], reason: str, spoken_text: str, wer: float | None
) -> dict[str, Any]:
    """A new take of `scene` from its text and settings now (not yet chosen); the oldest unchosen
    take goes when more than MAX_TAKES_KEPT would be kept."""
    kept = takes_of(job, scene["idx"])
    number = max((take["number"] for take in kept), default=0) + 1
    take = {
        "number": number,
        "reason": reason,
        "text": scene["text"],
        "spoken_text": spoken_text,
        "params": dict(scene.get("params") or {}),
        "duration_seconds": round(2.9 + 0.1 * (number - 1), 3),
        "engine_seconds": 0.1,
        "wer": wer,
        "similarity": None,
        "created_at": scene.get("finished_at") or job["updated_at"],
        "audio_path": f"jobs/{job['id']}/scenes/{scene['idx']:04d}-take{number}.wav",
    }
    kept.append(take)
    while len(kept) > MAX_TAKES_KEPT:
        kept.remove(next(t for t in kept if t["number"] != scene.get("take")))
    scene["takes"] = len(kept)
    return take


def choose(scene: dict[str, Any], take: dict[str, Any]) -> None:
    """The scene's audio becomes this take's; stale when its text or settings differ from it."""
    scene.update(
        take=take["number"],
        audio_path=take["audio_path"],
        duration_seconds=take["duration_seconds"],
        engine_seconds=take["engine_seconds"],
        spoken_text=take["spoken_text"],
    )
    scene["stale"] = differs(scene, take)


def differs(scene: dict[str, Any], take: dict[str, Any]) -> bool:
    return scene["text"] != take["text"] or (scene.get("params") or {}) != take["params"]


def public(job: dict[str, Any], idx: int, chosen: int | None) -> dict[str, Any]:
    """GET /jobs/{id}/scenes/{n}/takes."""
    takes = copy.deepcopy(takes_of(job, idx))
    for take in takes:
        del take["audio_path"]
        take["chosen"] = take["number"] == chosen
    pending = sum(1 for request in requests_of(job) if request["idx"] == idx)
    return {"idx": idx, "chosen": chosen, "pending": pending, "takes": takes}

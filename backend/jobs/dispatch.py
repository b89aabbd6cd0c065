"""SceneDispatch: the coordinator's side of the workers that pull scenes over HTTP.

A claim gives a worker the next pending scene (queue order, pauses and the job's engine as the
local worker sees them) as its spoken text, settings, model and voice, under a lease
(backend.jobs.leases). The worker renews the lease while it speaks and submits the audio with
its SHA-256; the take is stored as a local one is (SceneNarrator.keep_remote) in the commit
that consumes the lease, so each scene is completed once whatever the workers do: a late, a
second or a racing submission is refused with 409 and changes nothing; the same submission
again (its answer was lost) gets the same answer. First takes only: re-takes, checks and
assembly stay on the coordinator.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import soundfile as sf

from backend.core.errors import (
    AppError,
    AudioUnreadable,
    ChecksumMismatch,
    LeaseLost,
    UnknownVoiceId,
)
from backend.core.settings import Settings
from backend.core.speech import Audio, EngineVoice, VoiceRef
from backend.jobs.leases import Lease, LeaseStore, consume
from backend.jobs.metrics import JobMetrics
from backend.jobs.narrator import SceneNarrator
from backend.jobs.store import JobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """What a worker is given: the lease and everything it needs to speak the scene."""

    lease: Lease
    text: str
    params: dict[str, Any]
    model: str
    voice: dict[str, Any]
    lease_seconds: float


class SceneDispatch:
    """Thread-safe: the worker routes call it from the thread pool, the runner's loop expires."""

    def __init__(
        self,
        store: JobStore,
        narrator: SceneNarrator,
        settings: Settings,
        metrics: JobMetrics,
        order: Callable[[], list[str]],
        changed: Callable[[str], None],
    ):
        self.store = store
        self.narrator = narrator
        self.metrics = metrics
        self.seconds = settings.lease_seconds
        self.leases = LeaseStore(store.path)
        self._order = order  # the runner's unfinished jobs, in queue order
        self._changed = changed  # told when a job's scene came back: it may be finished now
        self._lock = threading.Lock()
        self._digests: dict[tuple[str, float], str] = {}  # (clip path, mtime) -> SHA-256
        self._workers: dict[str, dict[str, Any]] = {}  # name -> engine, scenes
        self._images = ThreadPoolExecutor(1, thread_name_prefix="worker-scene-images")

    def stop(self) -> None:
        """Draw the images queued, then take no more (before the PDF readers close)."""
        self._images.shutdown(wait=True)

    def close(self) -> None:
        self.stop()
        self.leases.close()

    def claim(self, worker: str, engine: str) -> Claim | None:
        """The next scene for a worker of `engine` (the job must be recorded for it), or None."""
        self._heard(worker, engine)
        self.expire()
        got = self.leases.claim(
            self._order(), worker, self.seconds, lambda job: job["engine"] == engine
        )
        if got is None:
            return None
        lease, job, scene = got
        queued = scene.get("queued_at") or job["created_at"]
        waited = datetime.fromisoformat(scene["started_at"]) - datetime.fromisoformat(queued)
        self.metrics.queue_wait.observe(max(0.0, waited.total_seconds()))
        try:
            ref, ready = self.narrator.ready(job, scene)
            voice = self._voice(ref)
        except AppError as exc:  # the job's voice was deleted, the text cannot be spoken
            self.store.fail_scene(job["id"], scene["idx"], exc.code, exc.message)
            self.leases.release(lease.id)
            self._changed(job["id"])
            return self.claim(worker, engine)
        self.leases.set_spoken(lease.id, ready.text)
        log.info("Scene %s/%s leased to %s", job["id"], scene["idx"], worker)
        return Claim(lease, ready.text, asdict(ready.params), ready.model, voice, self.seconds)

    def renew(self, lease_id: str) -> Lease:
        lease = self.leases.renew(lease_id, self.seconds)
        self.metrics.heard(lease.worker)
        return lease

    def release(self, lease_id: str) -> bool:
        released = self.leases.release(lease_id)
        if released:
            self._changed(self.leases.get(lease_id).job_id)
        return released

    def fail(self, lease_id: str, code: str, message: str) -> None:
        """The worker's engine failed on the scene for good: the scene fails with its reason."""
        lease = self.leases.fail(lease_id, code, message)
        log.warning("Scene %s/%s failed on %s: %s", lease.job_id, lease.idx, lease.worker, message)
        self._changed(lease.job_id)

    def voice_file(self, lease_id: str) -> tuple[Path, str]:
        """The reference clip of the scene the lease holds, and its SHA-256; nothing else."""
        lease = self.leases.active(lease_id)
        ref = self.narrator.voice_of(self.store.get_job(lease.job_id, scenes=False))
        if not isinstance(ref, VoiceRef):  # 404, as the contract says: nothing to fetch
            raise UnknownVoiceId(
                "The scene's voice is the engine's own: there is no clip to send.",
                "Speak it with the engine's own voice (the claim's voice.kind is 'builtin' or "
                "'engine'); only a 'clip' voice has a file to fetch.",
            )
        return ref.audio_path, self._digest(ref.audio_path)

    def submit(
        self,
        lease_id: str,
        body: bytes,
        sha256: str,
        engine_seconds: float,
        similarity: float | None,
    ) -> dict[str, Any]:
        """Store the worker's audio as the scene's first take; {job_id, idx, take}."""
        sha256 = sha256.lower()
        if (again := self._delivered(lease_id, sha256)) is not None:
            return again
        lease = self.leases.active(lease_id)
        if hashlib.sha256(body).hexdigest() != sha256:
            raise ChecksumMismatch()
        try:
            samples, rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=False)
        except (RuntimeError, sf.LibsndfileError, TypeError, ValueError):
            raise AudioUnreadable("The submitted audio is not a WAV file.") from None
        if samples.ndim != 1 or not len(samples):
            raise AudioUnreadable("The submitted audio must be mono and not empty.")
        job = self.store.get_job(lease.job_id, scenes=False)
        scene = self.store.get_scene(lease.job_id, lease.idx)
        clock = self.leases.clock

        def guard(db: Any) -> None:
            consume(db, lease.id, lease.job_id, lease.idx, clock(), sha256)

        try:
            number = self.narrator.keep_remote(
                job,
                scene,
                lease.spoken or scene["text"],
                Audio(samples, int(rate)),
                engine_seconds,
                similarity,
                lease.id[:12],
                guard,
                lease.worker,
            )
        except LeaseLost:  # the same audio, sent twice at once, was stored by the other request
            if (again := self._delivered(lease_id, sha256)) is not None:
                return again
            raise
        if number is None:
            raise LeaseLost("The scene's job was deleted while the worker spoke it.")
        self.leases.record_take(lease.id, number)
        try:
            self._images.submit(self._draw, lease.job_id, lease.idx)  # off the worker's request
        except RuntimeError:  # the server is stopping: the scene keeps no image
            log.info("No image for scene %s/%s: the server is stopping", lease.job_id, lease.idx)
        with self._lock:
            self._workers.setdefault(lease.worker, {"engine": None, "scenes": 0})["scenes"] += 1
        self._changed(lease.job_id)
        return {"job_id": lease.job_id, "idx": lease.idx, "take": number}

    def _delivered(self, lease_id: str, sha256: str) -> dict[str, Any] | None:
        """The answer already given to this lease's audio, when it was this audio."""
        lease = self.leases.get(lease_id)
        if lease.state != "done" or lease.sha256 != sha256:
            return None
        take = lease.take or self.store.get_scene(lease.job_id, lease.idx)["take"]
        return {"job_id": lease.job_id, "idx": lease.idx, "take": take}

    def _draw(self, job_id: str, idx: int) -> None:
        """A worker's scene's page image, on the dispatch's own thread."""
        with contextlib.suppress(AppError):  # the job was deleted meanwhile
            job = self.store.get_job(job_id, scenes=False)
            self.narrator.render_image(job, self.store.get_scene(job_id, idx))

    def expire(self) -> None:
        """Leases past their deadline give their scenes back (another worker takes them)."""
        expired = self.leases.expire()
        for lease in expired:
            log.warning("Lease of scene %s/%s (%s) expired", lease.job_id, lease.idx, lease.worker)
            self.metrics.expiries.inc()
            self._changed(lease.job_id)

    def workers(self) -> list[dict[str, Any]]:
        """Each worker heard from: its engine, scenes completed, when last heard, leases held."""
        holding: dict[str, int] = {}
        for lease in self.leases.holding():
            holding[lease.worker] = holding.get(lease.worker, 0) + 1
        with self._lock:
            known = {name: dict(info) for name, info in self._workers.items()}
        seen = dict(self.metrics.seen)
        return [
            {
                "name": name,
                "engine": info["engine"],
                "scenes": info["scenes"],
                "last_seen": seen.get(name),
                "leases": holding.get(name, 0),
            }
            for name, info in sorted(known.items())
        ]

    def _heard(self, worker: str, engine: str) -> None:
        self.metrics.heard(worker)
        with self._lock:
            self._workers.setdefault(worker, {"engine": engine, "scenes": 0})["engine"] = engine

    def _voice(self, ref: object) -> dict[str, Any]:
        if isinstance(ref, VoiceRef):
            sha = self._digest(ref.audio_path)
            return {"kind": "clip", "id": ref.voice_id, "sha256": sha, "language": ref.language}
        if isinstance(ref, EngineVoice):
            return {"kind": "engine", "id": ref.voice_id, "sha256": None, "language": None}
        return {"kind": "builtin", "id": None, "sha256": None, "language": None}

    def _digest(self, path: Path) -> str:
        key = (str(path), path.stat().st_mtime)
        with self._lock:
            if key not in self._digests:
                self._digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            return self._digests[key]

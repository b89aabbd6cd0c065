"""PullWorker: one engine that speaks the coordinator's scenes, one at a time, under leases.

claim -> the voice (fetched once per SHA-256, kept in the worker's data folder) -> synthesis,
while a thread renews the lease every third of its length -> the audio with its SHA-256. A lease
lost on the way (409) drops the scene. A coordinator that cannot be reached (down, restarting,
a stalled network) is waited out with a backoff that doubles to BACKOFF_MAX, and the worker
carries on where it was: a finished scene is still submitted (the coordinator refuses it if the
lease ran out meanwhile). `stop()` (a signal) ends the loop; the scene held is released.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import soundfile as sf

from backend.cli.worker_client import CoordinatorClient, LeaseGone, Refused, Unreachable
from backend.core.errors import AppError, EngineFault
from backend.core.speech import EngineVoice, SynthesisParams, VoiceRef
from backend.engines.manager import ModelManager
from backend.speaking.take import one_take

log = logging.getLogger(__name__)

T = TypeVar("T")
BACKOFF_START = 0.5
BACKOFF_MAX = 10.0
IDLE_MAX = 2.0  # nothing to claim: ask again after at most this long
SHA = re.compile(r"^[0-9a-f]{64}$")


class PullWorker:
    def __init__(
        self,
        client: CoordinatorClient,
        manager: ModelManager,
        name: str,
        voices_dir: Path,
        scene_timeout: float,
        similarity: bool,
    ):
        self.client = client
        self.manager = manager
        self.name = name
        self.voices_dir = voices_dir
        self.scene_timeout = scene_timeout
        self.similarity = similarity
        self.stopping = threading.Event()
        self.held: str | None = None  # the lease of the scene being spoken
        self.done = 0
        self._faulted: set[tuple[str, int]] = set()  # scenes given back once after an engine fault

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Until `stop()`; Refused (a wrong token, workers disabled) ends it at once."""
        idle = BACKOFF_START
        while not self.stopping.is_set():
            try:
                claim = self._patiently(lambda: self.client.claim(self.name, self.manager.name))
            except LeaseGone:  # stopping
                break
            if claim is None:
                self.stopping.wait(idle)
                idle = min(idle * 2, IDLE_MAX)
                continue
            idle = BACKOFF_START
            self.held = claim["lease"]
            try:
                self._speak(claim)
            except LeaseGone:
                log.warning("Scene %s/%s: the lease was lost", claim["job_id"], claim["idx"])
            except Exception as exc:  # the engine failed on it
                self._failed(claim, exc)
            finally:
                self.held = None
        self.release()

    def _failed(self, claim: dict[str, Any], exc: Exception) -> None:
        """As the server's own engine: a scene its engine process died under goes back once (a
        fresh host may speak it), a second fault or any other error fails it with the reason;
        a worker stopping gives it back."""
        scene = (claim["job_id"], claim["idx"])
        if self.stopping.is_set() or (isinstance(exc, EngineFault) and scene not in self._faulted):
            self._faulted.add(scene)
            self.release()
            return
        log.error("Scene %s/%s could not be spoken", *scene, exc_info=exc)
        if isinstance(exc, AppError):
            code, message = exc.code, exc.message
        elif isinstance(exc, TimeoutError):
            code, message = (
                "scene_timeout",
                f"Speaking the scene ran past {self.scene_timeout:g} s.",
            )
        else:
            code, message = "synthesis_failed", str(exc)[:200] or type(exc).__name__
        lease, self.held = self.held, None
        with contextlib.suppress(Unreachable, LeaseGone, Refused):  # else its lease runs out
            self.client.fail(lease or claim["lease"], code, message)

    def release(self) -> None:
        """Give back the scene held (a stopping worker): another worker takes it at once."""
        lease, self.held = self.held, None
        if lease is not None:
            with contextlib.suppress(Unreachable, LeaseGone):  # its lease runs out instead
                self.client.release(lease)

    def _speak(self, claim: dict[str, Any]) -> None:
        ref = self._voice(claim)
        params = SynthesisParams.of(claim["params"])
        lost = threading.Event()
        finished = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(claim, finished, lost), name="lease-renewal", daemon=True
        )
        renewer.start()
        try:
            audio, seconds, similarity = self.manager.call(
                lambda engine: one_take(engine, claim["text"], ref, params, self.similarity),
                timeout=self.scene_timeout,
                model=claim["model"],
            )
        finally:
            finished.set()
            renewer.join()
        if lost.is_set():
            raise LeaseGone(claim["lease"])
        buffer = io.BytesIO()
        sf.write(buffer, audio.samples, audio.sample_rate, "PCM_16", format="WAV")
        wav = buffer.getvalue()
        self._patiently(lambda: self.client.submit(claim["lease"], wav, seconds, similarity))
        self.done += 1
        log.info("scene %s/%s done in %.2f s", claim["job_id"], claim["idx"], seconds)

    def _renew(
        self, claim: dict[str, Any], finished: threading.Event, lost: threading.Event
    ) -> None:
        every = max(0.2, float(claim["lease_seconds"]) / 3)
        while not finished.wait(every):
            try:
                self.client.renew(claim["lease"])
            except LeaseGone:
                lost.set()
                return
            except Unreachable as exc:  # the next renewal may get through, or the lease runs out
                log.warning("Could not renew the lease: %s", exc)

    def _voice(self, claim: dict[str, Any]) -> VoiceRef | EngineVoice | None:
        voice = claim["voice"]
        if voice["kind"] == "engine":
            return EngineVoice(voice["id"])
        if voice["kind"] != "clip":
            return None
        sha = str(voice["sha256"]).lower()
        if not SHA.match(sha):
            raise LeaseGone("the coordinator sent no usable voice digest")
        folder = self.voices_dir / sha
        clip = folder / "reference.wav"
        if not clip.exists():
            data, _ = self._patiently(lambda: self.client.voice(claim["lease"]))
            (folder / "cache").mkdir(parents=True, exist_ok=True)
            partial = folder / f"reference.{os.getpid()}.part"  # workers may share the folder
            partial.write_bytes(data)
            partial.replace(clip)
        (folder / "cache").mkdir(parents=True, exist_ok=True)
        return VoiceRef(f"clip-{sha[:16]}", clip, folder / "cache", voice.get("language"))

    def _patiently(self, call: Callable[[], T]) -> T:
        """`call`, again and again while the coordinator cannot be reached (or until stop)."""
        wait = BACKOFF_START
        while True:
            try:
                return call()
            except Unreachable as exc:
                if self.stopping.is_set():
                    raise LeaseGone("stopping") from None
                log.warning("Coordinator unreachable (%s); again in %.1f s", exc, wait)
                self.stopping.wait(wait)
                wait = min(wait * 2, BACKOFF_MAX)

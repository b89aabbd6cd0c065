"""The on-disk voice library: root/<voice_id>/{reference.wav, meta.json} and root/current.json.

Each voice folder doubles as the engine's VoiceRef.cache_dir (Chatterbox saves conds.pt there).
"""

from __future__ import annotations

import builtins
import io
import json
import logging
import os
import re
import secrets
import shutil
import threading
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import soundfile as sf

from backend.core import atomic
from backend.core.errors import InvalidRequest, UnknownVoiceId, VoiceFileNotFound
from backend.core.speech import Audio, VoiceRef

logger = logging.getLogger(__name__)

REFERENCE = "reference.wav"
META = "meta.json"
CURRENT = "current.json"
DELETED = ".deleted-"  # a voice folder is renamed to this prefix, then removed
MAX_NAME = 100  # characters
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def slugify(name: str, max_chars: int = 39) -> str:
    """ASCII lower-case words joined by hyphens, or "voice" when nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:max_chars].rstrip("-") or "voice"


class VoiceStore:
    """The voice library. Thread-safe: one lock serialises every read and write of its files.

    `root` is created if missing; files in `import_dir` may also be named by path (see
    `resolve_path`) but are never written.
    """

    def __init__(self, root: Path, import_dir: Path | None = None) -> None:
        Path(root).mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root))
        self.import_dir = Path(os.path.realpath(import_dir)) if import_dir else None
        self._lock = threading.Lock()
        for doomed in self.root.glob(f"{DELETED}*"):  # a delete that a crash interrupted
            shutil.rmtree(doomed, ignore_errors=True)

    def add(self, name: str, audio: Audio, meta: dict[str, Any]) -> dict[str, Any]:
        """Save a validated mono clip as a new voice; return its public metadata.

        The id is the name's slug plus 8 random hex digits; `meta` (JSON values) joins meta.json.
        """
        name = _clean_name(name)
        voice_id = f"{slugify(name)}-{secrets.token_hex(4)}"
        record = {k: v for k, v in meta.items() if k != "filename"} | {
            "id": voice_id,
            "name": name,
            "created_at": datetime.now(UTC).isoformat(),
            "duration_seconds": round(audio.seconds, 3),
            "sample_rate": audio.sample_rate,
            "source_filename": meta.get("filename"),
            "path": f"{voice_id}/{REFERENCE}",  # for resolve_path: relative paths start at root
        }
        wav = io.BytesIO()
        sf.write(wav, np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, "PCM_16", format="WAV")
        with self._lock:
            folder = self.root / voice_id
            folder.mkdir()  # 4 billion suffixes per slug: a clash is not worth a retry loop
            try:
                atomic.write_bytes(folder / REFERENCE, wav.getvalue())
                # meta.json last: a folder without it is an interrupted add and stays invisible.
                atomic.write_bytes(folder / META, json.dumps(record, indent=2).encode())
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        logger.info("Added voice %s (%r, %.1f s)", voice_id, name, audio.seconds)
        return record

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every voice's public metadata, oldest first."""
        with self._lock:
            records = [r for p in self.root.iterdir() if (r := self._read_meta(p.name))]
        return sorted(records, key=lambda r: (str(r.get("created_at", "")), r["id"]))

    def get(self, voice_id: str) -> dict[str, Any]:
        """One voice's public metadata; UnknownVoiceId when absent or malformed."""
        with self._lock:
            return self._require(voice_id)

    def delete(self, voice_id: str) -> None:
        """Remove the voice's folder (with any engine cache); clears it as the current voice.

        The folder is gone for good: nothing here creates a voice folder but `add` (under a new
        id), and engines never create their cache_dir, so an embed that was running does not
        bring it back."""
        with self._lock:
            self._require(voice_id)
            doomed = self.root / f"{DELETED}{voice_id}-{secrets.token_hex(4)}"
            os.replace(self.root / voice_id, doomed)  # readers never see a half-deleted folder
            shutil.rmtree(doomed, ignore_errors=True)
            if self._read_current() == voice_id:
                (self.root / CURRENT).unlink(missing_ok=True)
        logger.info("Deleted voice %s", voice_id)

    def update(self, voice_id: str, changes: Mapping[str, str | None]) -> dict[str, Any]:
        """Change a voice's `name` and/or `language` (the keys `changes` holds; None removes the
        language, whose code the caller has checked); return its public metadata.

        The name is checked as `add` checks it. Only meta.json is rewritten, atomically: the id,
        the folder and reference.wav stay as they were, so an engine's cache of the voice (keyed
        by id and by the clip's mtime and size) stays valid. UnknownVoiceId when absent.
        """
        if unknown := set(changes) - {"name", "language"}:
            raise ValueError(f"a voice has no changeable {sorted(unknown)}")
        name = changes.get("name")
        if "name" in changes:
            name = _clean_name(name or "")
        with self._lock:
            record = self._require(voice_id)
            if name is not None:
                record["name"] = name
            if "language" in changes:
                record.pop("language", None)  # as a voice uploaded without one reads
                if changes["language"] is not None:
                    record["language"] = changes["language"]
            atomic.write_bytes(self.root / voice_id / META, json.dumps(record, indent=2).encode())
        logger.info("Updated voice %s (%s)", voice_id, ", ".join(sorted(changes)))
        return record

    def ref(self, voice_id: str) -> VoiceRef:
        """The engine's view of a voice: its reference clip and its cache folder."""
        with self._lock:
            record = self._require(voice_id)
        folder = self.root / voice_id
        language = record.get("language")
        return VoiceRef(
            voice_id=voice_id,
            audio_path=folder / REFERENCE,
            cache_dir=folder,
            language=language if isinstance(language, str) else None,
        )

    def current(self) -> str | None:
        """The selected voice id, persisted across restarts; None if unset or since deleted."""
        with self._lock:
            voice_id = self._read_current()
            return voice_id if voice_id and self._read_meta(voice_id) else None

    def set_current(self, voice_id: str | None) -> None:
        """Select a library voice (UnknownVoiceId if absent), or clear the selection with None."""
        with self._lock:
            if voice_id is None:
                (self.root / CURRENT).unlink(missing_ok=True)
                return
            self._require(voice_id)
            atomic.write_bytes(self.root / CURRENT, json.dumps({"voice_id": voice_id}).encode())

    def resolve_path(self, raw: str) -> Path:
        """A client-given path, if it is a library voice's reference.wav or a file in import_dir.

        Relative paths start at root. Every refusal raises the same VoiceFileNotFound, so the
        answer never tells whether something exists elsewhere. Nothing is opened here.
        """
        if isinstance(raw, str) and 0 < len(raw) <= 4096 and not _hostile(raw):
            real = Path(os.path.realpath(self.root / raw))  # an absolute raw replaces root
            imported = self.import_dir is not None and real.is_relative_to(self.import_dir)
            if (imported or self._library_id(real)) and os.path.isfile(real):
                return real
        logger.debug("Refused voice path %r", str(raw)[:200])
        raise VoiceFileNotFound()

    def voice_id_for_path(self, path: Path | str) -> str | None:
        """The id of the library voice whose reference.wav this is, or None (an import file)."""
        with self._lock:
            return self._library_id(Path(os.path.realpath(path)))

    def _library_id(self, real: Path) -> str | None:
        in_library = real.name == REFERENCE and real.parent.parent == self.root
        return real.parent.name if in_library and self._read_meta(real.parent.name) else None

    def _require(self, voice_id: str) -> dict[str, Any]:
        record = self._read_meta(voice_id)
        if record is None:
            raise UnknownVoiceId(f"No voice has the id {str(voice_id)[:80]!r}.")
        return record

    def _read_meta(self, voice_id: str) -> dict[str, Any] | None:
        if not isinstance(voice_id, str) or not _ID.fullmatch(voice_id):
            return None
        try:
            record = json.loads((self.root / voice_id / META).read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and record.get("id") == voice_id else None

    def _read_current(self) -> str | None:
        try:
            voice_id = json.loads((self.root / CURRENT).read_text()).get("voice_id")
        except (OSError, ValueError, AttributeError):
            return None
        return voice_id if isinstance(voice_id, str) else None


def _clean_name(name: str) -> str:
    """`name` with its runs of white space made single spaces; InvalidRequest unless 1-100
    characters are left."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidRequest(f"A voice name has 1-{MAX_NAME} characters, not {len(name)}.")
    return name


def _hostile(raw: str) -> bool:
    """Backslashes (Windows, UNC), drives, `..`, control chars, surrogates; raw or URL-decoded."""
    return any(
        "\\" in form
        or re.match(r"[A-Za-z]:", form) is not None
        or ".." in form.split("/")
        or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in form)
        for form in (raw, unquote(raw))
    )

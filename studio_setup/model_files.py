"""The Chatterbox model files: names, sizes on the hub, and whether model_cache/ holds them whole.

The names are backend.core.constants' (standard library only, like this module), which the
engine reads too. fetch_model.py
writes manifest.json (names and sizes) after a complete download; partial downloads live in
<model dir>/.partial/ until they are whole.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from backend.core.constants import CHATTERBOX_REPO, MODEL_FILES, TEST_WEIGHTS_MARKER

REPO_ID = CHATTERBOX_REPO
REVISION = "main"
DEFAULT_ENDPOINT = "https://huggingface.co"
MANIFEST = "manifest.json"
PARTIAL_DIR = ".partial"
# Used until the hub tells the real sizes (about 3.2 GB in all).
ESTIMATED_SIZES = {
    "ve.safetensors": 5_700_000,
    "t3_cfg.safetensors": 2_130_000_000,
    "s3gen.safetensors": 1_060_000_000,
    "tokenizer.json": 25_000,
    "conds.pt": 110_000,
}


def model_files() -> tuple[str, ...]:
    """The checkpoint's file names (backend.core.constants.MODEL_FILES)."""
    return MODEL_FILES


def test_weights_marker() -> str:
    """The file a random-weight checkpoint has (backend.core.constants.TEST_WEIGHTS_MARKER)."""
    return TEST_WEIGHTS_MARKER


def model_dir(project: Path) -> Path:
    """Where the server looks: CHATTERBOX_MODEL_CACHE_DIR, else model_cache/ in the project."""
    configured = os.environ.get("CHATTERBOX_MODEL_CACHE_DIR")
    return (project / (configured or "model_cache")).resolve()


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_offline() -> str:
    """The variable that turns huggingface_hub's offline mode on ("" when none does)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # huggingface_hub reads both
        if os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}:
            return name
    return ""


def partial_path(dest: Path, name: str) -> Path:
    return dest / PARTIAL_DIR / f"{name}.part"


@dataclass
class RemoteSizes:
    """The hub's sizes of the model files, or None with `why` (unreachable, offline, error)."""

    sizes: dict[str, int] | None
    why: str = ""
    unreachable: bool = False


def remote_sizes(files: tuple[str, ...], timeout: float = 8.0) -> RemoteSizes:
    """Asks the hub's paths-info API (the call huggingface_hub's get_paths_info makes)."""
    if hub_offline():
        return RemoteSizes(None, f"{hub_offline()} is set", unreachable=True)
    url = f"{hub_endpoint()}/api/models/{REPO_ID}/paths-info/{REVISION}"
    body = urllib.parse.urlencode([("paths", name) for name in files]).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            listed = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return RemoteSizes(None, f"the hub answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return RemoteSizes(None, f"cannot reach {hub_endpoint()}: {reason}", unreachable=True)
    except ValueError:
        return RemoteSizes(None, "the hub's answer was not JSON")
    sizes = {item["path"]: int(item["size"]) for item in listed if item.get("type") == "file"}
    missing = [name for name in files if name not in sizes]
    if missing:
        return RemoteSizes(None, f"the hub does not list {', '.join(missing)}")
    return RemoteSizes(sizes)


def read_manifest(dest: Path) -> dict | None:
    try:
        data = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


@dataclass
class ModelState:
    """What model_cache/ holds, measured against manifest.json."""

    files: tuple[str, ...]
    manifest: dict | None
    missing: list[str] = field(default_factory=list)
    wrong_size: list[tuple[str, int, int]] = field(default_factory=list)  # name, have, want
    partial_bytes: int = 0
    present_bytes: int = 0

    @property
    def complete(self) -> bool:
        return self.manifest is not None and not self.missing and not self.wrong_size

    @property
    def unverified(self) -> bool:
        """All files there but no manifest to check them against (copied by hand)."""
        return self.manifest is None and not self.missing

    def still_to_download(self, sizes: dict[str, int]) -> int:
        """Bytes left to fetch, given the files' full sizes; partial downloads count as done."""
        if self.complete:
            return 0
        left = sum(sizes.get(name, 0) for name in self.missing)
        left += sum(sizes.get(name, want) for name, _, want in self.wrong_size)
        return max(left - self.partial_bytes, 0)


def model_state(dest: Path, files: tuple[str, ...]) -> ModelState:
    manifest = read_manifest(dest)
    state = ModelState(files, manifest)
    recorded = manifest["files"] if manifest else {}
    for name in files:
        path = dest / name
        partial = partial_path(dest, name)
        if partial.is_file():
            state.partial_bytes += partial.stat().st_size
        if not path.is_file():
            state.missing.append(name)
            continue
        have = path.stat().st_size
        state.present_bytes += have
        want = recorded.get(name)
        if manifest is not None and want != have:
            state.wrong_size.append((name, have, int(want) if want is not None else -1))
    return state

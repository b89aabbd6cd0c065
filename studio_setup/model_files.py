"""The Chatterbox family's files on disk: where each model's folder is, whether it holds the model
whole, its size, and the hub's sizes. The table itself (names, repos, files) is
backend.core.models', standard library only like this module, which the server reads too.

fetch_model.py writes manifest.json (names and sizes) into a model's folder after a complete
download; partial downloads live in <folder>/.partial/ until they are whole. Each model has its
own folder, <model cache>/<key>/; the original may sit at the top of the cache instead (the
layout of earlier versions), and stays there: set-up finishes or checks it in place.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from backend.core import models as family
from backend.core.constants import MODEL_FILES, TEST_WEIGHTS_MARKER, read_environment
from studio_setup.disk import tree_size

REVISION = "main"
DEFAULT_ENDPOINT = "https://huggingface.co"
MANIFEST = "manifest.json"
PARTIAL_DIR = ".partial"
MIB = 1024**2
# chatterbox-tts 0.1.7 looks the Cangjie table up with hf_hub_download(cache_dir=<model folder>),
# so set-up also files it there in the hub cache's layout: refs/main, then snapshots/<commit>/.
CANGJIE_CACHE = "models--" + family.MULTILINGUAL.repo.replace("/", "--")


def model_files() -> tuple[str, ...]:
    """The original checkpoint's file names (backend.core.constants.MODEL_FILES)."""
    return MODEL_FILES


def test_weights_marker() -> str:
    """The file a random-weight checkpoint has (backend.core.constants.TEST_WEIGHTS_MARKER)."""
    return TEST_WEIGHTS_MARKER


def model_dir(project: Path) -> Path:
    """The model cache the server reads: CHATTERBOX_MODEL_CACHE_DIR (the environment, then the
    project's .env, as the server reads its settings), else model_cache/ in the project."""
    configured = read_environment(project).get("CHATTERBOX_MODEL_CACHE_DIR", "").strip()
    return (project / Path(configured or "model_cache").expanduser()).resolve()


def model_folder(cache: Path, key: str) -> Path:
    """Where `key`'s files are, or go: backend.core.models.model_dir, and for the original also
    the top of the cache while an earlier version's download there is unfinished (it resumes in
    place rather than starting over in <cache>/original/)."""
    folder = family.model_dir(cache, key)
    if key != family.ORIGINAL.key or folder == cache:
        return folder
    if not _has_any(folder, family.ORIGINAL.files) and _has_any(cache, family.ORIGINAL.files):
        return cache
    return folder


def at_top(cache: Path, key: str) -> bool:
    """The original, kept at the top of the cache (the earlier layout)."""
    return model_folder(cache, key) == Path(cache)


def model_paths(cache: Path, key: str) -> list[Path]:
    """What on disk belongs to `key` and nothing else, existing paths only: its own folder, and
    for the original also its files at the top of the cache (with the manifest and the partial
    downloads there: only the original was ever kept at the top)."""
    cache = Path(cache)
    paths = [cache / key] if os.path.lexists(cache / key) else []
    if key == family.ORIGINAL.key:
        names = (*family.ORIGINAL.all_files, MANIFEST, PARTIAL_DIR)
        paths += [cache / name for name in names if os.path.lexists(cache / name)]
    return paths


def disk_bytes(paths: list[Path]) -> int:
    """Bytes of the files under `paths`, links not followed (a link counts as nothing)."""
    return sum(tree_size(path) for path in paths)


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


def cangjie_snapshot(folder: Path) -> Path | None:
    """The Cangjie table where chatterbox-tts 0.1.7 finds it offline, None when it is not there."""
    cache = folder / CANGJIE_CACHE
    try:
        commit = (cache / "refs" / REVISION).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    found = cache / "snapshots" / commit / family.CANGJIE_FILE
    return found if commit and found.is_file() else None


@dataclass
class RemoteSizes:
    """The hub's sizes of a model's files, or None with `why` (unreachable, offline, error).
    `sizes` holds every required file and the optional ones the hub lists."""

    sizes: dict[str, int] | None
    why: str = ""
    unreachable: bool = False


def remote_sizes(model: family.ChatterboxModel, timeout: float = 8.0) -> RemoteSizes:
    """Asks the hub's paths-info API (the call huggingface_hub's get_paths_info makes)."""
    if hub_offline():
        return RemoteSizes(None, f"{hub_offline()} is set", unreachable=True)
    url = f"{hub_endpoint()}/api/models/{model.repo}/paths-info/{REVISION}"
    body = urllib.parse.urlencode([("paths", name) for name in model.all_files]).encode()
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
    missing = [name for name in model.files if name not in sizes]
    if missing:
        return RemoteSizes(None, f"the hub does not list {', '.join(missing)} in {model.repo}")
    return RemoteSizes(sizes)


def read_manifest(dest: Path) -> dict | None:
    try:
        data = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


@dataclass
class ModelState:
    """What one model's folder holds, measured against its manifest.json.

    - `missing`: required files that are not there; also optional ones the manifest lists
      (a complete download had them, so set-up fetches them again).
    - `absent_optional`: optional files that are not there (conds.pt, the Cangjie table).
    """

    model: family.ChatterboxModel
    folder: Path
    manifest: dict | None
    missing: list[str] = field(default_factory=list)
    absent_optional: list[str] = field(default_factory=list)
    wrong_size: list[tuple[str, int, int]] = field(default_factory=list)  # name, have, want
    present: list[str] = field(default_factory=list)
    partial_bytes: int = 0
    present_bytes: int = 0
    test_weights: bool = False

    @property
    def complete(self) -> bool:
        return self.manifest is not None and not self.missing and not self.wrong_size

    @property
    def installed(self) -> bool:
        """Every required file is there (what the server needs to load it)."""
        return not any(name in self.model.files for name in self.missing)

    @property
    def unverified(self) -> bool:
        """All files there but no manifest to check them against (copied by hand)."""
        return self.manifest is None and self.installed

    @property
    def started(self) -> bool:
        """Something of the model is there: a file or a partial download."""
        return bool(self.present or self.partial_bytes)

    def still_to_download(self, sizes: dict[str, int] | None) -> int:
        """Bytes left to fetch given the hub's sizes (None: estimated from the model's size);
        partial downloads count as done."""
        if self.complete:
            return 0
        if sizes is None:
            return max(self.model.approx_bytes - self.present_bytes - self.partial_bytes, 0)
        fetch = {*self.missing, *self.absent_optional, *(name for name, _, _ in self.wrong_size)}
        left = sum(sizes.get(name, 0) for name in fetch)
        return max(left - self.partial_bytes, 0)


def model_state(cache: Path, key: str) -> ModelState:
    model = family.MODELS[key]
    folder = model_folder(cache, key)
    manifest = read_manifest(folder)
    state = ModelState(model, folder, manifest)
    state.test_weights = (folder / TEST_WEIGHTS_MARKER).exists()
    recorded = manifest["files"] if manifest else {}
    for name in model.all_files:
        path = folder / name
        partial = partial_path(folder, name)
        if partial.is_file():
            state.partial_bytes += partial.stat().st_size
        if not path.is_file():
            if name in model.files or name in recorded:
                state.missing.append(name)
            if name in model.optional:
                state.absent_optional.append(name)
            continue
        have = path.stat().st_size
        state.present.append(name)
        state.present_bytes += have
        want = recorded.get(name)
        # Every required file must be in the manifest; an optional one only where it lists it.
        if manifest is not None and (name in model.files or want is not None) and want != have:
            state.wrong_size.append((name, have, int(want) if want is not None else -1))
    return state


def _has_any(folder: Path, names: tuple[str, ...]) -> bool:
    return any((folder / name).is_file() or partial_path(folder, name).is_file() for name in names)

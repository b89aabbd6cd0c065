"""Downloads the Chatterbox checkpoint into model_cache/: resumable, sizes checked against the hub.

Run inside the project's venv (it needs huggingface_hub), as setup_env.py does:

    python -m studio_setup.fetch_model --dest model_cache

The hub is reached through huggingface_hub, so HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE apply.
Each file goes to <dest>/.partial/<name>.part first; an interrupted download stays there and the
next run resumes it with an HTTP Range request (the same file version only: its ETag is kept
beside it). A finished file is moved into place only when its size is the one the hub lists,
and manifest.json records names and sizes once all files are whole. Exit codes are
setup_env.py's: 0 done, 4 no network, 5 disk full, 6 download failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from backend.core import atomic
from studio_setup import exits
from studio_setup import model_files as models
from studio_setup.machine import free_bytes, human

NETWORK_ERRORS = {
    "ConnectError",
    "ConnectionError",
    "ConnectTimeout",
    "ConnectTimeoutError",
    "NewConnectionError",
    "NameResolutionError",
    "OfflineModeIsEnabled",
    "ProxyError",
    "TimeoutException",
}


def is_network_error(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if any(cls.__name__ in NETWORK_ERRORS for cls in type(exc).__mro__):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", default="model_cache", help="folder for the model files")
    parser.add_argument("--repo", default=models.REPO_ID)
    parser.add_argument("--revision", default=models.REVISION)
    args = parser.parse_args(argv)
    dest = Path(args.dest).resolve()
    files = models.model_files()
    if models.model_state(dest, files).complete:
        _say(f"All {len(files)} model files are already complete in {dest}. Nothing to download.")
        return exits.OK
    try:
        from huggingface_hub import HfApi
    except ImportError:
        _say("huggingface_hub is not installed here. Run: python setup_env.py --engine chatterbox")
        return exits.STEP_FAILED
    _say(f"Asking the hub ({models.hub_endpoint()}) for {args.repo}'s file list...")
    try:
        listed = HfApi().get_paths_info(args.repo, list(files), revision=args.revision)
    except Exception as exc:
        return _failed(exc, "Could not get the model's file list")
    sizes = {item.path: int(item.size) for item in listed if getattr(item, "size", None)}
    unlisted = [name for name in files if name not in sizes]
    if unlisted:
        _say(f"The hub does not list {', '.join(unlisted)} in {args.repo}.")
        return exits.DOWNLOAD_FAILED
    dest.mkdir(parents=True, exist_ok=True)
    state = models.model_state(dest, files)
    left = sum(sizes[n] for n in files if _needs(dest / n, sizes[n])) - state.partial_bytes
    if left > 0 and free_bytes(dest) < left:
        _say(
            f"Not enough free disk space in {dest}: {human(left)} to download, "
            f"{human(free_bytes(dest))} free. Free some space and run again."
        )
        return exits.NO_DISK_SPACE
    failed: list[str] = []
    for number, name in enumerate(files, 1):
        target, want = dest / name, sizes[name]
        prefix = f"[{number}/{len(files)}] {name} ({human(want)})"
        if not _needs(target, want):
            _say(f"{prefix}: already complete")
            continue
        _say(f"{prefix}: downloading")
        try:
            _download(args.repo, args.revision, name, dest)
        except Exception as exc:
            return _failed(exc, f"The download of {name} failed", partial=True)
        part = models.partial_path(dest, name)
        got = part.stat().st_size
        if got != want:
            part.unlink()
            _say(f"{name}: got {got} bytes but the hub lists {want}; removed it, run again.")
            failed.append(name)
            continue
        try:
            target.unlink(missing_ok=True)
            atomic.publish(part, target)
        except OSError as exc:  # Windows: a running server may hold the old file open
            _say(f"Could not put {name} in place ({exc}). Stop the server and run again.")
            return exits.DOWNLOAD_FAILED
        part.with_suffix(".etag").unlink(missing_ok=True)
    if failed:
        _say(f"Download failed: wrong size for {', '.join(failed)}.")
        return exits.DOWNLOAD_FAILED
    _write_manifest(dest, args.repo, args.revision, {name: sizes[name] for name in files})
    partials = dest / models.PARTIAL_DIR
    if partials.is_dir() and not any(partials.iterdir()):
        partials.rmdir()
    _say(f"All {len(files)} model files are complete in {dest}.")
    return exits.OK


def _needs(target: Path, size: int) -> bool:
    return not (target.is_file() and target.stat().st_size == size)


def _download(repo: str, revision: str, name: str, dest: Path) -> None:
    """One file into <dest>/.partial/<name>.part, resuming what an earlier run left there."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get

    meta = get_hf_file_metadata(hf_hub_url(repo, name, revision=revision))
    part = models.partial_path(dest, name)
    part.parent.mkdir(parents=True, exist_ok=True)
    etag_file = part.with_suffix(".etag")
    kept = etag_file.read_text(encoding="utf-8") if etag_file.is_file() else None
    if part.exists() and (kept != meta.etag or (meta.size and part.stat().st_size > meta.size)):
        part.unlink()  # another version of the file (or junk): start over
    etag_file.write_text(meta.etag or "", encoding="utf-8")
    resume = part.stat().st_size if part.exists() else 0
    if resume:
        _say(f"  resuming after {human(resume)}")
    with part.open("ab") as out:
        http_get(
            meta.location,
            out,
            resume_size=resume,
            headers={"Accept-Encoding": "identity"},
            expected_size=meta.size,
            displayed_filename=name,
        )


def _failed(exc: BaseException, what: str, partial: bool = False) -> int:
    said = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {said[0] if said else ''}"[:300]
    if models.hub_offline():
        _say(f"{what}: {models.hub_offline()} is set. Unset it and run again.")
        return exits.NO_NETWORK
    kept = " The part already downloaded is kept: run again to resume." if partial else ""
    if is_network_error(exc) and not partial:
        _say(f"{what}: the hub cannot be reached ({detail}). Check the connection and run again.")
        return exits.NO_NETWORK
    _say(f"{what} ({detail}).{kept}")
    return exits.DOWNLOAD_FAILED


def _write_manifest(dest: Path, repo: str, revision: str, sizes: dict[str, int]) -> None:
    manifest = {
        "repo": repo,
        "revision": revision,
        "files": sizes,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic.write_text(dest / models.MANIFEST, json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        _say("\nStopped. What was downloaded is kept: run again to resume.")
        sys.exit(130)

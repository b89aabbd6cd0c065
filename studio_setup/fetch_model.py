"""Downloads Chatterbox models into the model cache: resumable, sizes checked against the hub.

Run inside the project's venv (it needs huggingface_hub), as setup_env.py does:

    python -m studio_setup.fetch_model --model turbo --dest model_cache

Each model goes into its own folder (studio_setup.model_files.model_folder: <dest>/<key>/, or
the top of <dest> for an original model an earlier version put there), and only its own files:
the required ones, and the optional ones its repo has. The hub is reached through
huggingface_hub, so HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE apply. Each file goes to
<folder>/.partial/<name>.part first; an interrupted download stays there and the next run
resumes it with an HTTP Range request (the same file version only: its ETag is kept beside it).
A finished file is moved into place only when its size is the one the hub lists, and
manifest.json records names and sizes once all files are whole. Multilingual's Cangjie table is
also filed where chatterbox-tts looks it up offline (model_files.CANGJIE_CACHE). Several models
are fetched in the order given; the first that fails stops the run. Exit codes are
setup_env.py's: 0 done, 4 no network, 5 disk full, 6 download failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from backend.core import atomic
from backend.core import models as family
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
    parser.add_argument("--dest", default="model_cache", help="the model cache folder")
    parser.add_argument(
        "--model", nargs="+", choices=tuple(family.MODELS), default=[family.ORIGINAL.key]
    )
    parser.add_argument("--revision", default=models.REVISION)
    args = parser.parse_args(argv)
    cache = Path(args.dest).resolve()
    for key in dict.fromkeys(args.model):
        code = fetch(cache, family.MODELS[key], args.revision)
        if code != exits.OK:
            return code
    return exits.OK


def fetch(cache: Path, model: family.ChatterboxModel, revision: str) -> int:
    """One model into its folder; an exit code."""
    state = models.model_state(cache, model.key)
    folder = state.folder
    if state.complete:
        _say(f"{model.title}: its files are already complete in {folder}. Nothing to download.")
        _file_cangjie(folder, (state.manifest or {}).get("commit") or revision)
        return _fetch_segmenter(model, folder)
    try:
        from huggingface_hub import HfApi
    except ImportError:
        _say("huggingface_hub is not installed here. Run: python setup_env.py --engine chatterbox")
        return exits.STEP_FAILED
    _say(f"{model.title}: asking the hub ({models.hub_endpoint()}) for {model.repo}'s file list...")
    try:
        listed = HfApi().get_paths_info(model.repo, list(model.all_files), revision=revision)
    except Exception as exc:
        return _failed(exc, f"Could not get the file list of {model.repo}")
    sizes = {item.path: int(item.size) for item in listed if getattr(item, "size", None)}
    unlisted = [name for name in model.files if name not in sizes]
    if unlisted:
        _say(f"The hub does not list {', '.join(unlisted)} in {model.repo}.")
        return exits.DOWNLOAD_FAILED
    skipped = [name for name in model.optional if name not in sizes]
    if skipped:
        _say(f"  {model.repo} has no {', '.join(skipped)} (optional): skipped")
    files = [name for name in model.all_files if name in sizes]
    folder.mkdir(parents=True, exist_ok=True)
    left = sum(sizes[n] for n in files if _needs(folder / n, sizes[n])) - state.partial_bytes
    if left > 0 and free_bytes(folder) < left:
        _say(
            f"Not enough free disk space in {folder}: {human(left)} to download, "
            f"{human(free_bytes(folder))} free. Free some space and run again."
        )
        return exits.NO_DISK_SPACE
    failed: list[str] = []
    commit = ""
    for number, name in enumerate(files, 1):
        target, want = folder / name, sizes[name]
        prefix = f"[{number}/{len(files)}] {name} ({human(want)})"
        if not _needs(target, want):
            _say(f"{prefix}: already complete")
            continue
        _say(f"{prefix}: downloading")
        try:
            commit = _download(model.repo, revision, name, folder) or commit
        except Exception as exc:
            return _failed(exc, f"The download of {name} failed", partial=True)
        part = models.partial_path(folder, name)
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
    commit = commit or (state.manifest or {}).get("commit") or revision
    manifest = {name: sizes[name] for name in files}
    _write_manifest(folder, model.repo, revision, commit, manifest)
    _file_cangjie(folder, commit)
    partials = folder / models.PARTIAL_DIR
    if partials.is_dir() and not any(partials.iterdir()):
        partials.rmdir()
    _say(f"{model.title}: all {len(files)} files are complete in {folder}.")
    return _fetch_segmenter(model, folder)


def _needs(target: Path, size: int) -> bool:
    return not (target.is_file() and target.stat().st_size == size)


def _download(repo: str, revision: str, name: str, dest: Path) -> str | None:
    """One file into <dest>/.partial/<name>.part, resuming what an earlier run left there;
    the commit the hub served it from."""
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
    return meta.commit_hash


def _file_cangjie(folder: Path, commit: str) -> None:
    """Multilingual's Cangjie table also where chatterbox-tts 0.1.7 looks it up offline:
    hf_hub_download(cache_dir=<folder>) reads <CANGJIE_CACHE>/refs/main, then that commit's
    snapshot. A hard link (a copy where the file system has none) of the file beside it."""
    source = folder / family.CANGJIE_FILE
    if not source.is_file() or models.cangjie_snapshot(folder) is not None:
        return
    cache = folder / models.CANGJIE_CACHE
    target = cache / "snapshots" / commit / family.CANGJIE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    (cache / "refs").mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    atomic.write_text(cache / "refs" / models.REVISION, commit)


def _fetch_segmenter(model: family.ChatterboxModel, folder: Path) -> int:
    """Multilingual: spacy_pkuseg's Chinese word segmenter into <folder>/pkuseg/, where the
    engine host points PKUSEG_HOME. chatterbox-tts 0.1.7 builds the segmenter on every load
    and would otherwise download it then, which fails offline. spacy_pkuseg's own download
    (its release archive, checked against its SHA-256) does the fetching."""
    home = folder / family.PKUSEG_DIR
    if model.key != family.MULTILINGUAL.key or family.segmenter_present(home):
        return exits.OK
    try:
        from spacy_pkuseg.config import config
        from spacy_pkuseg.download import download_model
    except ImportError:
        _say("spacy_pkuseg (it comes with chatterbox-tts) is not installed here.")
        _say("Run: python setup_env.py --engine chatterbox --model multilingual")
        return exits.STEP_FAILED
    name = family.PKUSEG_MODEL
    (home / f"{name}.zip").unlink(missing_ok=True)  # an archive left unpacked by a stopped run
    _say(f"{model.title}: downloading its Chinese word segmenter ({name}) into {home}")
    try:
        download_model(config.model_urls[name], str(home), config.model_hash[name])
    except Exception as exc:
        return _failed(exc, "The download of the Chinese word segmenter failed")
    if not family.segmenter_present(home):
        _say(f"The segmenter's archive did not unpack into {home / name}. Run again.")
        return exits.DOWNLOAD_FAILED
    return exits.OK


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


def _write_manifest(
    dest: Path, repo: str, revision: str, commit: str, sizes: dict[str, int]
) -> None:
    manifest = {
        "repo": repo,
        "revision": revision,
        "commit": commit,
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

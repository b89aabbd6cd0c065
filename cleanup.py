"""Shows what Chatterbox Studio keeps on disk, with sizes, then removes what you confirm.

Standard library only; run it with any Python 3.11+ (best not the project's own venv, so the venv
can go too):  python cleanup.py --dry-run  |  python cleanup.py  |  python cleanup.py --yes
One Chatterbox model only:  python cleanup.py --remove-model turbo  (asks first; --yes does not)

Each model of the family (backend.core.models) is its own item: its folder model_cache/<key>/,
and for an original model kept at the top of the cache (the earlier layout) only its own files
there. Removing one never touches another model's folder.

Safety: nothing outside the project and its known caches is removed (the Chatterbox entry of the
Hugging Face cache, pip's own cache folders, the configured model and data folders, the test
checkpoints in ~/.cache/chatterbox-studio), never "/",
the home folder or a folder holding the project. Links are never followed: a link inside an item
is removed as a link and its target stays; an item that is itself a link (say model_cache ->
D:\\models) is reported and left alone. Your voice recordings go only when you choose them.
It refuses while the server runs (files in use), unless --force.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from backend.core import models as family
from backend.core.constants import read_environment, server_url
from studio_setup import model_files  # standard library only, like this script (and the above)
from studio_setup.disk import is_link, remove, tree_size
from studio_setup.machine import human

# The hub cache's entries of the family's repos (chatterbox-tts' from_pretrained fills them).
HF_REPOS = sorted({"models--" + m.repo.replace("/", "--") for m in family.MODELS.values()})
VENV = ".venv_chatterbox"
TEST_VENV = ".venv_real_chatterbox"  # the README's test command makes it for tests/chatterbox/
PIP_OWN = ("http", "http-v2", "wheels", "selfcheck")  # pip's folders; anything else there stays
TOOL_CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".mypy_cache"}
# Outside the project a configured model cache may hold other things: only the models' own
# folders and files go there (model_files.model_paths).
HOME = Path.home().resolve()


ABOUT = {  # key: (label, what it is / what removing it means)
    "venv": ("Python environment", "torch and every library; setup_env.py reinstalls them"),
    **{
        f"model-{m.key}": (
            f"{m.title} model ({m.key})",
            f"setup_env.py --model {m.key} fetches it again",
        )
        for m in family.MODELS.values()
    },
    "models-other": ("Other files in the model cache", "all but model_cache/README.md"),
    "hf": ("Hugging Face copy of Chatterbox", "the hub cache of the Chatterbox repos only"),
    "jobs": ("Narration jobs", "audio, page images and history of every narration"),
    "pip": ("pip download cache", "shared by your Python projects; pip fetches again as needed"),
    "artifacts": ("Test artifacts", "screenshots and logs of test runs"),
    "tests": ("Chatterbox test tier", "its venv and random-weight checkpoints; tests rebuild them"),
    "caches": ("Python and tool caches", "rebuilt by themselves"),
    "voices": ("Your voice recordings", "removed only when you choose them"),
}
KEEP = dict(
    venv="--keep-venv", hf="--keep-models", jobs="--keep-jobs", **{"models-other": "--keep-models"}
)
KEEP.update({f"model-{key}": "--keep-models" for key in family.MODELS})


@dataclass
class Item:
    """One removable thing: its paths (which may not exist), shown as `where`."""

    key: str
    paths: list[Path]
    where: str
    folder: Path | None = None  # the (configured) folder it lives in: a link there, left alone
    loose: bool = False  # paths are that folder's contents: a link among them goes as a link
    default: bool = True  # removed by --yes; voices only with --include-voices
    kept_by: str = ""  # the --keep-* flag given for it
    skipped: str = ""  # why it is not offered
    size: int = 0

    @property
    def label(self) -> str:
        return ABOUT[self.key][0]


def inside(path: Path, root: Path) -> bool:
    return path != root and path.is_relative_to(root)


def holds(folder: Path, paths: list[Path]) -> bool:
    return any(p == folder or inside(p, folder) for p in paths)


def location(path: Path) -> Path:
    """Where `path` itself is: its folder resolved, its own name kept (a link stays a link)."""
    return path.parent.resolve() / path.name


def safe(path: Path, roots: list[Path], protected: list[Path]) -> bool:
    """Strictly inside an allowed root; not a drive root, nor a protected path or its parent."""
    here = location(path)
    return (
        here != Path(here.anchor)
        and not holds(here, protected)
        and any(inside(here, root) for root in roots)
    )


def server_answers(url: str) -> bool:
    """Any HTTP answer from /health (or a connection that hangs: it is busy) counts as running."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    try:
        with opener.open(url + "/health", timeout=3):
            return True
    except (urllib.error.HTTPError, TimeoutError):
        return True
    except urllib.error.URLError as exc:
        return isinstance(exc.reason, TimeoutError)
    except (OSError, http.client.HTTPException):  # not HTTP at all: not our server
        return False


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def hf_hub_dir() -> Path:
    """Where huggingface_hub keeps downloads: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache."""
    if hub := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(hub).expanduser()
    home = os.environ.get("HF_HOME")
    return Path(home).expanduser() / "hub" if home else user_cache() / "huggingface" / "hub"


def pip_cache_dir(venv: Path) -> Path:
    """PIP_CACHE_DIR, else what pip says (config files included), else pip's default place."""
    if os.environ.get("PIP_CACHE_DIR"):
        return Path(os.environ["PIP_CACHE_DIR"]).expanduser()
    venv_python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    for python in (sys.executable, str(venv_python)):
        try:
            out = subprocess.run(
                [python, "-m", "pip", "cache", "dir"], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip().splitlines()[-1])
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData/Local") / "pip/Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library/Caches/pip"
    return user_cache() / "pip"


def test_checkpoints() -> Path:
    """Where studio_tools/make_test_checkpoint.py caches its random-weight checkpoints."""
    return Path.home() / ".cache" / "chatterbox-studio"


def tool_caches(project: Path) -> list[Path]:
    """__pycache__ and test/lint caches in the project, outside .git and the venvs."""
    found, stack = [], [project]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if not entry.is_dir(follow_symlinks=False) or is_link(path):
                continue
            if entry.name in TOOL_CACHES:
                found.append(path)
            elif entry.name != ".git" and not entry.name.startswith(".venv"):
                stack.append(path)
    return found


def discover(project: Path, args: argparse.Namespace, config: dict[str, str]) -> list[Item]:
    def configured(key: str, default: str) -> Path:
        path = Path(config.get(key) or default).expanduser()
        return location(path if path.is_absolute() else project / path)

    venv, models = project / VENV, configured("CHATTERBOX_MODEL_CACHE_DIR", "model_cache")
    data, hub = configured("CHATTERBOX_DATA_DIR", "data"), location(hf_hub_dir())
    pip_dir, voices = location(pip_cache_dir(venv)), data / "voices"
    checkpoints = location(test_checkpoints())
    # A cache root may not be a drive, nor hold home or the project; one that is a link: unused.
    roots = [project] + [
        r
        for r in (models, data, hub, pip_dir, checkpoints)
        if not is_link(r) and r != Path(r.anchor) and not holds(r, [HOME, project])
    ]

    def shown(path: Path) -> str:
        return str(path.relative_to(project)) if path.is_relative_to(project) else str(path)

    def model_items() -> list[Item]:
        usable = models.is_dir() and not is_link(models)
        items = []
        for key in family.MODELS:
            paths = model_files.model_paths(models, key) if usable else []
            at_top = [p for p in paths if p.parent == models and p.name != key]
            places = [shown(models / key)] if models / key in paths or not at_top else []
            if at_top:
                places.append(f"{len(at_top)} of its files at the top of {shown(models)}")
            items.append(Item(f"model-{key}", paths, ", ".join(places), models, loose=True))
        if usable and models == project / "model_cache":  # the project's own: all but README.md
            claimed = {p for item in items for p in item.paths} | {models / "README.md"}
            claimed |= {models / key for key in family.MODELS}
            other = sorted(p for p in models.iterdir() if p not in claimed)
            items.append(Item("models-other", other, shown(models), models, loose=True))
        return items

    items = [
        Item("venv", [venv], VENV),
        *model_items(),
        Item(
            "hf",
            [place / repo for repo in HF_REPOS for place in (hub, hub / ".locks")],
            ", ".join(shown(hub / repo) for repo in HF_REPOS),
            hub,
        ),
        Item("jobs", [data / "jobs", *sorted(data.glob("jobs.db*"))], shown(data / "jobs*"), data),
        Item("pip", [pip_dir / name for name in PIP_OWN], shown(pip_dir), pip_dir),
        Item("artifacts", [project / "test-artifacts"], "test-artifacts"),
        Item(
            "tests",
            [project / TEST_VENV, checkpoints / "test-checkpoints"],
            f"{TEST_VENV}, {shown(checkpoints / 'test-checkpoints')}",
        ),
        Item("caches", tool_caches(project), "__pycache__, .pytest_cache, ..."),
        Item("voices", [voices], shown(voices), data, default=False),
    ]
    if voices.is_dir() and not is_link(voices):
        items[-1].where += f", {sum(1 for p in voices.iterdir() if p.is_dir())} voices"
    for item in items:
        protected = [project, HOME] + ([voices] if item.default else [])
        tops = [item.folder] if item.loose else [item.folder, *item.paths]
        links = [p for p in tops if p is not None and is_link(p)]
        if links:
            item.skipped = f"{links[0]} is a link to {os.path.realpath(links[0])}: left alone"
        item.paths = [p for p in item.paths if os.path.lexists(p)]
        if not item.skipped and not all(safe(p, roots, protected) for p in item.paths):
            item.skipped = "not safely inside the project or its caches: left alone"
        if item.paths == [venv] and Path(sys.prefix).resolve() == venv.resolve():
            item.skipped = "cleanup.py runs from this venv: run it with another Python to remove it"
        item.size = sum(tree_size(p) for p in item.paths)
        flag = KEEP.get(item.key, "")
        if flag and getattr(args, flag[2:].replace("-", "_")):
            item.kept_by = flag
    return items


def print_report(project: Path, items: list[Item]) -> None:
    print(f"Chatterbox Studio disk use ({project}):\n")
    for item in items:
        if not item.default:
            print("\nKept unless you choose them (--include-voices with --yes):")
        size = human(item.size) if item.paths else "-"
        print(f"  {item.label:<40} {size:>8}   {item.where}")
        if item.skipped:
            print(f"  {'':<40} {'':>8}   skipped: {item.skipped}")
        elif item.kept_by and item.paths:
            print(f"  {'':<40} {'':>8}   kept ({item.kept_by})")
        elif item.paths:
            print(f"  {'':<40} {'':>8}   {ABOUT[item.key][1]}")
    offered = [i for i in items if i.default and i.paths and not (i.skipped or i.kept_by)]
    print(
        f"\nRemovable: {human(sum(i.size for i in offered))} (your voice recordings not counted)."
    )


def ask(question: str) -> bool | None:
    """y/N from stdin; None at end of input (no more answers: everything else stays)."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        print()
        return None
    return answer.strip().lower() in ("y", "yes")


def _warn_if_configured(item: Item, config: dict[str, str]) -> None:
    """A removed model that CHATTERBOX_MODEL names: the server cannot load it any more."""
    key = item.key.removeprefix("model-")
    if key in family.MODELS and config.get("CHATTERBOX_MODEL", "").strip().lower() == key:
        print(
            f"    CHATTERBOX_MODEL={key} names the model just removed: the server cannot start "
            "with it. Set CHATTERBOX_MODEL=auto in .env, or run: "
            f"python setup_env.py --model {key}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag, what in (
        ("--dry-run", "show what would go; remove nothing"),
        ("--yes", "no questions: remove every default item"),
        ("--keep-models", "keep the model files and the Hugging Face copy"),
        ("--keep-jobs", "keep the narration jobs"),
        ("--keep-venv", f"keep {VENV}"),
        ("--include-voices", "with --yes, remove your voice recordings too"),
        ("--force", "clean even while the server runs"),
    ):
        parser.add_argument(flag, action="store_true", help=what)
    parser.add_argument(
        "--remove-model",
        action="append",
        choices=tuple(family.MODELS),
        metavar="MODEL",
        help=f"remove this Chatterbox model only ({', '.join(family.MODELS)}); may be repeated",
    )
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    if args.remove_model and args.keep_models:
        parser.error("--remove-model and --keep-models contradict each other")
    for stream in (sys.stdout, sys.stderr):  # a path a console code page cannot show
        stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    project = args.project_dir.expanduser().resolve()
    if not project.is_dir() or project == Path(project.anchor) or project == HOME:
        print(f"Refusing: {project} is not a project folder.", file=sys.stderr)
        return 2
    config = read_environment(project)  # CHATTERBOX_* from .env and the environment, as the server
    url = server_url(config)
    if not url.startswith(("http://", "https://")):
        print(f"CHATTERBOX_URL must start with http:// (it is {url!r}).", file=sys.stderr)
        return 2
    running = server_answers(url)
    items = discover(project, args, config)
    print_report(project, items)
    if running and not args.force:
        print(
            f"\nThe server is running at {url} (it answered /health); its files are in use.\n"
            "Stop it first: press Ctrl+C in its start window (or `docker compose down`), then "
            "run cleanup again. --force cleans anyway.",
            file=sys.stderr,
        )
        return 0 if args.dry_run else 1
    if args.dry_run:
        print("Dry run: nothing was removed.")
        return 0
    reclaimed, failures = 0, 0
    only = {f"model-{key}" for key in args.remove_model or ()}
    print()
    for item in items:
        if only and item.key not in only:
            continue
        if only and not item.paths:
            print(f"  {item.label}: not installed, nothing to remove.")
        if not item.paths or item.skipped or item.kept_by:
            continue
        if args.yes:
            chosen = item.default or args.include_voices
        else:
            extra = " This cannot be undone." if not item.default else ""
            chosen = ask(f"{item.label} ({human(item.size)}, {item.where}): remove?{extra}")
            if chosen is None:
                break
        if not chosen:
            continue
        errors = [e for e in (remove(p) for p in item.paths) if e]
        freed = item.size - sum(tree_size(p) for p in item.paths)
        reclaimed += freed
        if errors:
            failures += 1
            print(f"  {item.label}: partly removed, {errors[0]} (is a program still using it?)")
        else:
            print(f"  {item.label}: removed ({human(freed)}).")
        _warn_if_configured(item, config)
    print(f"Reclaimed {human(reclaimed)}.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""`setup_env.py --check`: what is installed, what is wrong, and the exact command that fixes it.

The venv is asked about itself by its own python (environment.probe with --deep: imports and
the torch build), so the check works whatever state the venv is in. A problem is a [FAIL] with
a fix; [warn] and [info] lines never change the exit code. Each Chatterbox model gets its own
line (installed, missing files, size on disk, random test weights), then the model the server
will load first and why (CHATTERBOX_MODEL, else backend.core.models' choice rule on this card).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from backend.core import models as family
from backend.core.constants import read_environment, server_url
from studio_setup import environment as env
from studio_setup import exits
from studio_setup import model_files as models
from studio_setup.machine import Gpu, detect_gpu, free_bytes, human
from studio_setup.plan import MIN_VRAM_MIB, MODEL_SETTING, Options, render
from studio_setup.torch_builds import CUDA_BUILDS, choose_torch, min_driver

SETUP = "python setup_env.py"
ADD_CHATTERBOX = "python setup_env.py --engine chatterbox"
CORE_MODULES = ("backend.main", "piper", "streamlit")
LOW_DISK = 1024**3


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def add(self, status: str, text: str, fix: str = "") -> None:
        self.lines.append(f"  [{status}]".ljust(9) + text)
        if fix:
            self.lines.append(" " * 9 + f"Fix: {fix}")
        if status == "FAIL":
            self.problems += 1


def run_check(options: Options, python_version: tuple[int, ...]) -> int:
    print("Chatterbox Studio check", flush=True)
    report = Report()
    report.add("ok", f"Python {'.'.join(map(str, python_version))} runs this check")
    python = env.venv_python(options.project / env.VENV_NAME, options.platform)
    print("Asking the environment what it has (this takes a few seconds)...", flush=True)
    info = env.probe(python, options.project, deep=True)
    gpu = detect_gpu()
    packages = _check_venv(report, options, python, info, gpu.gpu is not None)
    _check_gpu_and_torch(report, options, gpu.gpu, gpu.note, info)
    _check_models(report, options, "chatterbox-tts" in packages, gpu.gpu, info)
    free = free_bytes(options.project)
    if free < LOW_DISK:
        report.add("warn", f"Disk: only {human(free)} free in {options.project}")
    else:
        report.add("ok", f"Disk: {human(free)} free")
    _check_server(report, options.project)
    print("\n".join(report.lines))
    if report.problems:
        plural = "s" if report.problems > 1 else ""
        print(
            f"\n{report.problems} problem{plural} found. Run the fix, then check again: "
            f"{SETUP} --check"
        )
        return exits.CHECK_FAILED
    print("\nAll good.")
    return exits.OK


def _check_venv(
    report: Report, options: Options, python, info: dict | None, has_gpu: bool
) -> dict[str, str]:
    if not python.exists():
        report.add("FAIL", f"No virtual environment {env.VENV_NAME} in {options.project}", SETUP)
        return {}
    if info is None:
        report.add(
            "FAIL",
            f"{env.VENV_NAME} is broken: its python does not run",
            f"{SETUP} (re-creates it)",
        )
        return {}
    report.add("ok", f"Virtual environment {env.VENV_NAME} (Python {info['python']})")
    packages = {k: v for k, v in (info.get("packages") or {}).items() if v}
    imports = info.get("imports") or {}
    broken = [f"{m} ({imports[m]})" for m in CORE_MODULES if imports.get(m, "not installed")]
    if broken:
        report.add("FAIL", f"Does not import: {'; '.join(broken)}", SETUP)
    else:
        report.add("ok", "The server, Piper and the studio import (backend.main, piper, streamlit)")
    if "chatterbox-tts" not in packages:
        slow = "" if has_gpu else " (without an NVIDIA GPU: many times slower than real time)"
        report.add(
            "info",
            f"Chatterbox (voice cloning) is not installed. To add it: {ADD_CHATTERBOX}{slow}",
        )
    elif imports.get("chatterbox"):
        report.add("FAIL", f"chatterbox does not import ({imports['chatterbox']})", ADD_CHATTERBOX)
    else:
        report.add("ok", f"Chatterbox imports (chatterbox-tts {packages['chatterbox-tts']})")
    return packages


def _check_gpu_and_torch(
    report: Report, options: Options, gpu: Gpu | None, note: str, info: dict | None
) -> None:
    if gpu is None:
        report.add("info", f"GPU: {note}")
    else:
        report.add("ok", f"GPU: {gpu.describe()}")
        if gpu.vram_mib and gpu.vram_mib < MIN_VRAM_MIB:
            report.add(
                "warn",
                f"{gpu.vram_mib} MiB of VRAM: Chatterbox needs roughly "
                f"{MIN_VRAM_MIB} MiB and may run out of memory",
            )
    torch = (info or {}).get("torch")
    if not torch:
        return
    version, cuda = torch.get("version", "?"), torch.get("cuda")
    if gpu is None:
        kind = f"built for CUDA {cuda}" if cuda else "CPU-only"
        report.add(
            "info",
            f"torch {version} ({kind}) runs on the CPU here: Chatterbox is many "
            "times slower than real time without an NVIDIA GPU",
        )
        return
    shown = env.shown_python(options.platform)
    if not cuda:
        choice, _ = choose_torch(gpu, options.platform, cpu=False)
        fix = (
            f"{render(choice.install_args(shown))}  (or: {ADD_CHATTERBOX})"
            if choice.cuda
            else f"update the NVIDIA driver (driver {gpu.driver} is too old for CUDA torch), "
            f"then run {ADD_CHATTERBOX}"
        )
        report.add(
            "FAIL",
            f"CPU-only torch on a machine with an NVIDIA GPU: torch {version} has no CUDA, so "
            f"Chatterbox cannot use the {gpu.name} and runs many times slower",
            fix,
        )
    elif not torch.get("cuda_available"):
        need = _driver_for(cuda, options.platform)
        report.add(
            "FAIL",
            f"torch {version} is built for CUDA {cuda} but cannot use the GPU"
            + (f" (it needs NVIDIA driver {need} or newer; yours is {gpu.driver})" if need else ""),
            "update the NVIDIA driver, restart the computer, then check again",
        )
    else:
        report.add("ok", f"torch {version} uses the GPU ({torch.get('device') or gpu.name})")


def _driver_for(cuda: str, platform: str) -> str | None:
    major = cuda.split(".")[0]
    for build in CUDA_BUILDS:
        if build.cuda.split(".")[0] == major:
            return min_driver(build, platform)
    return None


def _check_models(
    report: Report, options: Options, chatterbox_installed: bool, gpu: Gpu | None, info: dict | None
) -> None:
    cache = models.model_dir(options.project)
    states = {key: models.model_state(cache, key) for key in family.MODELS}
    if not chatterbox_installed and not any(state.started for state in states.values()):
        report.add("info", "Model files: none (only Chatterbox needs them)")
        return
    for state in states.values():
        _check_model(report, options.project, cache, state)
    installed = family.installed(cache)
    if chatterbox_installed and not installed:
        report.add(
            "FAIL",
            f"No Chatterbox model is installed in {cache}",
            f"{ADD_CHATTERBOX} (downloads the model this card should run)",
        )
    _check_choice(report, options.project, installed, gpu, info)


def _check_model(report: Report, project: Path, cache: Path, state: models.ModelState) -> None:
    model, folder = state.model, state.folder
    name = f"{model.title} ({model.key})"
    where = _shown(project, folder)
    if folder == cache:
        where += " (at the top of the cache: the earlier layout, which keeps working)"
    size = human(models.disk_bytes(models.model_paths(cache, model.key)))
    again = f"{SETUP} --model {model.key}"
    if state.test_weights:
        report.add(
            "FAIL",
            f"The {name} files in {folder} are random test weights "
            "(made by studio_tools.make_test_checkpoint): they speak noise",
            f"Delete the files in {folder} (python cleanup.py --remove-model {model.key}), "
            f"then run: {again}",
        )
    elif state.wrong_size:
        sizes = "; ".join(
            f"{n} is {got} bytes, expected {want}" for n, got, want in state.wrong_size
        )
        report.add("FAIL", f"{name} is damaged or incomplete in {where}: {sizes}", again)
    elif state.complete:
        count = len((state.manifest or {}).get("files") or {})
        report.add("ok", f"{name}: installed in {where}, all {count} files complete ({size})")
        _check_cangjie(report, state, again)
        _check_segmenter(report, state, again)
    elif state.unverified:
        report.add(
            "warn",
            f"{name} is in {where} ({size}) but there is no {models.MANIFEST} to check its sizes",
            f"{again} (checks them against the hub; downloads nothing if they match)",
        )
    elif state.started:
        report.add(
            "FAIL",
            f"{name} is incomplete in {where}: missing {', '.join(state.missing)}"
            + (f" ({human(state.partial_bytes)} partly downloaded)" if state.partial_bytes else ""),
            f"{again} (downloads what is missing; an interrupted download resumes)",
        )
    else:
        report.add(
            "info",
            f"{name}: not installed (about {human(model.approx_bytes)}; to add it: {again})",
        )


def _check_cangjie(report: Report, state: models.ModelState, again: str) -> None:
    if family.CANGJIE_FILE not in state.model.optional:
        return
    if family.CANGJIE_FILE in state.absent_optional:
        report.add(
            "warn", f"{family.CANGJIE_FILE} is missing: Chinese text needs it offline", again
        )
    elif models.cangjie_snapshot(state.folder) is None:
        report.add(
            "warn",
            f"{family.CANGJIE_FILE} is not filed where chatterbox-tts looks it up offline "
            f"({models.CANGJIE_CACHE}/ in the model's folder): Chinese text needs it",
            f"{again} (files it; downloads nothing)",
        )


def _check_segmenter(report: Report, state: models.ModelState, again: str) -> None:
    if state.model.key != family.MULTILINGUAL.key:
        return
    home = family.pkuseg_home(state.folder)
    if not family.segmenter_present(home):
        report.add(
            "FAIL",
            f"{state.model.title}'s Chinese word segmenter ({family.PKUSEG_MODEL}) is missing "
            f"from {home}: chatterbox-tts 0.1.7 cannot load the model offline without it",
            f"{again} (downloads only what is missing)",
        )


def _check_choice(
    report: Report, project: Path, installed: list[str], gpu: Gpu | None, info: dict | None
) -> None:
    """Which model the server loads first (backend.core.models.choose) and why."""
    config = read_environment(project)
    setting = (config.get(MODEL_SETTING) or "auto").strip().lower()
    if setting != "auto":
        model = family.find(setting)
        if model is None:
            names = ", ".join(["auto", *family.MODELS])
            report.add(
                "FAIL",
                f"{MODEL_SETTING}={setting} names no model (it takes {names})",
                f"set {MODEL_SETTING}=auto in .env, or name a model",
            )
        elif model.key not in installed:
            report.add(
                "FAIL",
                f"{MODEL_SETTING}={setting}, but {model.title} is not installed: the server "
                "cannot load it",
                f"{SETUP} --model {model.key}",
            )
        else:
            report.add("ok", f"The server will load {model.title} ({MODEL_SETTING}={setting})")
        return
    torch = (info or {}).get("torch") or {}
    on_cuda = gpu is not None and bool(torch.get("cuda_available"))
    on_cuda = on_cuda and (config.get("CHATTERBOX_DEVICE") or "auto").strip() != "cpu"
    vram = gpu.vram_mib * models.MIB if on_cuda and gpu else None
    key = family.choose(installed, vram)
    if key is None:
        return
    first = family.choose(family.MODELS, vram)
    small = f"{family.SMALL_CARD_BYTES // 1024**3} GiB"
    if vram is None or gpu is None:
        why = "the server runs on the CPU, where Turbo comes first"
    else:
        size = f"{small} or less" if vram <= family.SMALL_CARD_BYTES else f"over {small}"
        first_title = "Turbo" if first == family.TURBO.key else "the original"
        why = f"the {gpu.name} has {gpu.vram_mib} MiB ({size}), where {first_title} comes first"
    if len(installed) == 1:
        why = "the only model installed"
    elif key != first:
        why += f"; {family.MODELS[first].title} is not installed"
    other = family.MULTILINGUAL.key in installed and key != family.MULTILINGUAL.key
    tail = " Text in another language goes to Chatterbox Multilingual." if other else ""
    title = family.MODELS[key].title
    report.add("ok", f"The server will pick {title} ({MODEL_SETTING}=auto): {why}.{tail}")


def _shown(project: Path, path: Path) -> str:
    try:
        return str(path.relative_to(project.resolve()))
    except ValueError:
        return str(path)


def _check_server(report: Report, project: Path) -> None:
    url = server_url(read_environment(project))
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3) as response:
            body = json.loads(response.read().decode("utf-8") or "{}")
        report.add("ok", f"Server at {url}: {body.get('engine', '?')} on {body.get('device', '?')}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8") or "{}")
        except ValueError:
            body = {}
        message = body.get("message") or f"HTTP {exc.code}"
        report.add("FAIL", f"Server at {url} is not ready: {message}", body.get("solution", ""))
    except (urllib.error.URLError, OSError, ValueError):
        report.add(
            "info",
            f"Server: not running at {url} (start it with ./start_linux.sh or start_windows.bat)",
        )

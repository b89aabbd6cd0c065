"""The ordered steps setup_env.py takes on this machine, each marked done or to do, and the disk
space the steps still to do need. Building a plan changes nothing (it may ask the hub for sizes).

Which Chatterbox models it downloads: those named with --model; with `auto` (the default) the
ones already there (set-up finishes or checks them), else the one backend.core.models' choice
rule picks for this card: Turbo on the CPU and on cards of 8 GiB or less, the original above.
Exactly one model named with --model is also written to .env as CHATTERBOX_MODEL.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from backend.core import models as family
from studio_setup import env_file
from studio_setup import environment as env
from studio_setup import model_files as models
from studio_setup.machine import GpuProbe, free_bytes, human, platform_label
from studio_setup.torch_builds import TorchChoice, best_cuda_build, choose_torch

GB = 1024**3
# Disk each step needs, measured or from the wheels' installed sizes (1024-based).
VENV_BYTES = 30 * 1024**2
PROJECT_BYTES = int(0.95 * GB)  # core + ui, measured on Linux (903 MB)
DEV_BYTES = 2 * GB  # pytest, faster-whisper, playwright and a CPU torch 2.13
TORCH_CUDA_BYTES = 4 * GB  # installed; the download alone is about 2.5 GB
TORCH_CPU_BYTES = 1 * GB
CHATTERBOX_BYTES = int(0.8 * GB)  # chatterbox-tts and its libraries (transformers, librosa, ...)
HEADROOM = GB // 2  # never fill the disk to the last byte
MIN_VRAM_MIB = 4096
MODEL_SETTING = "CHATTERBOX_MODEL"


@dataclass
class Options:
    project: Path
    platform: str
    engine: str = "auto"  # auto | piper | chatterbox
    cpu: bool = False
    dev: bool = False
    models: tuple[str, ...] = ("auto",)  # "auto", or keys of backend.core.models.MODELS

    @property
    def named_models(self) -> list[str]:
        """The models named with --model (none for auto), in the order given, once each."""
        return list(dict.fromkeys(key for key in self.models if key != "auto"))


@dataclass
class Step:
    """One thing to do. args[0] is a python: the host's, or the venv's as shown to the user."""

    id: str
    title: str
    args: list[str]
    done: str = ""  # why it is skipped; "" means it is to do
    needs_bytes: int = 0
    network: str = ""  # "pip", "torch" (the PyTorch index), "hub" or ""


@dataclass
class Plan:
    options: Options
    gpu: GpuProbe
    engine: str
    engine_reason: str
    cpu: bool
    torch: TorchChoice | None
    model_dir: Path  # the model cache; each model's folder is model_files.model_folder's
    free: int
    chosen: list[str] = field(default_factory=list)  # the models to download, keys
    models_reason: str = ""
    remote: dict[str, models.RemoteSizes] = field(default_factory=dict)  # by key, when asked
    installed: dict[str, str] = field(default_factory=dict)  # distribution -> version, in the venv
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Step]:
        return [step for step in self.steps if not step.done]

    @property
    def needs_bytes(self) -> int:
        pending = sum(step.needs_bytes for step in self.pending)
        return pending + HEADROOM if pending else 0


def render(args: list[str]) -> str:
    """A command line as the user would type it (".[ui]" quoted for both shells)."""
    special = set(' []*?"&|<>();')
    return " ".join(f'"{arg}"' if special & set(arg) else arg for arg in args)


def pinned_version(project: Path, extra: str, name: str) -> str | None:
    """The == pin of `name` in pyproject.toml's `extra`, e.g. chatterbox-tts -> 0.1.7."""
    try:
        data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    for requirement in data.get("project", {}).get("optional-dependencies", {}).get(extra, []):
        head, _, version = requirement.partition("==")
        if head.strip().lower() == name and version:
            return version.split(";")[0].strip()
    return None


def _engine(options: Options, gpu: GpuProbe, stamp: dict) -> tuple[str, bool, str]:
    named = options.named_models
    before = stamp.get("engine")
    # A model named with --model asks for Chatterbox: it overrides an earlier Piper install.
    follow = before and (not named or before == "chatterbox")
    if options.engine == "auto" and not options.cpu and not options.dev and follow:
        engine, cpu = stamp["engine"], bool(stamp.get("cpu"))
        return engine, cpu, "as set up before; choose another with --engine"
    if options.engine != "auto":
        return options.engine, options.cpu, f"--engine {options.engine}"
    if options.cpu:
        return "chatterbox", True, "--cpu: Chatterbox with a CPU-only torch"
    if named:
        return "chatterbox", False, f"--model {' '.join(named)}"
    if options.dev:
        return "piper", False, "--dev: the test environment runs Piper (it has its own CPU torch)"
    if gpu.gpu is None:
        return "piper", False, "no NVIDIA GPU was found"
    if options.platform == "macos":
        return "piper", False, "macOS has no NVIDIA GPU support"
    if best_cuda_build(gpu.gpu.driver, options.platform) is None:
        return "piper", False, "the NVIDIA driver is too old for CUDA torch"
    return "chatterbox", False, "an NVIDIA GPU was found"


def _has(info: dict | None, wanted: dict[str, str | None]) -> bool:
    """The venv has each distribution (at exactly the version, where one is given)."""
    packages = (info or {}).get("packages") or {}
    return all(
        packages.get(name) is not None and (version is None or packages[name] == version)
        for name, version in wanted.items()
    )


def build_plan(options: Options, gpu: GpuProbe) -> Plan:
    project = options.project
    venv = project / env.VENV_NAME
    python = env.venv_python(venv, options.platform)
    shown = env.shown_python(options.platform)
    stamp = env.read_stamp(venv)
    info = env.probe(python, project)
    engine, cpu, reason = _engine(options, gpu, stamp)
    plan = Plan(options, gpu, engine, reason, cpu, None, models.model_dir(project), 0)
    plan.installed = {k: v for k, v in ((info or {}).get("packages") or {}).items() if v}

    create = Step(
        "venv",
        f"Create the virtual environment {env.VENV_NAME}",
        [sys.executable, "-m", "venv", env.VENV_NAME],
        needs_bytes=VENV_BYTES,
    )
    if info is not None:
        create.done, create.needs_bytes = f"already there (Python {info['python']})", 0
    elif venv.exists():
        create.title += " again (its python does not run)"
        create.args = [sys.executable, "-m", "venv", "--clear", env.VENV_NAME]
    plan.steps.append(create)

    def pip_step(step_id: str, title: str, args: list[str], wanted: dict, size: int, net: str):
        step = Step(step_id, title, args, needs_bytes=size, network=net)
        # torch is pinned to an exact build, so its version says it all; the others also need
        # the stamp, which changes with pyproject.toml.
        key = env.step_key(project, render(args))
        stamped = step_id == "torch" or (stamp.get("steps") or {}).get(step_id) == key
        if stamped and _has(info, wanted):
            step.done = "already installed"
        plan.steps.append(step)
        return step

    extras = "ui,dev" if options.dev else "ui"
    wanted = {"chatterbox-studio": None, "piper-tts": None, "streamlit": None}
    if options.dev:
        wanted["pytest"] = None
    pip_step(
        "project",
        "Install Chatterbox Studio: the server, the studio and the Piper engine"
        + (", with the test tools (dev)" if options.dev else ""),
        [shown, "-m", "pip", "install", "-e", f".[{extras}]"],
        wanted,
        PROJECT_BYTES + (DEV_BYTES if options.dev else 0),
        "pip",
    )
    if engine != "chatterbox":
        return _finish(plan)

    torch, notes = choose_torch(gpu.gpu, options.platform, cpu)
    plan.torch = torch
    plan.notes.extend(notes)
    if torch.index_url:
        source = "CUDA" if torch.cuda else "CPU-only"
        pip_step(
            "torch",
            f"Install {torch.describe()} from the PyTorch wheel index ({source})",
            torch.install_args(shown),
            dict(torch.versions),
            TORCH_CUDA_BYTES if torch.cuda else TORCH_CPU_BYTES,
            "torch",
        )
    version = pinned_version(project, "chatterbox", "chatterbox-tts")
    pip_step(
        "engine",
        f"Install the Chatterbox engine (chatterbox-tts {version})"
        if version
        else "Install the Chatterbox engine (chatterbox-tts)",
        [shown, "-m", "pip", "install", "-e", ".[chatterbox]"],
        {"chatterbox-tts": version},
        CHATTERBOX_BYTES + (0 if torch.index_url else TORCH_CPU_BYTES),
        "pip",
    )
    return _finish(plan)


def _finish(plan: Plan) -> Plan:
    options = plan.options
    if plan.engine == "chatterbox":
        _add_model_steps(plan)
    plan.free = free_bytes(options.project)
    _add_notes(plan)
    return plan


def choose_models(plan: Plan) -> tuple[list[str], str]:
    """The models set-up downloads, and why (see the module docstring)."""
    named = plan.options.named_models
    if named:
        return named, f"--model {' '.join(named)}"
    there = [key for key in family.MODELS if models.model_state(plan.model_dir, key).started]
    if there:
        return there, "already there; add another with --model " + "|".join(family.MODELS)
    gpu = plan.gpu.gpu
    cuda = plan.torch is not None and plan.torch.cuda and gpu is not None and gpu.vram_mib > 0
    vram = gpu.vram_mib * models.MIB if cuda and gpu else None
    key = family.choose(family.MODELS, vram)
    assert key is not None  # the whole family is available to choose from
    small = f"{family.SMALL_CARD_BYTES // 1024**3} GiB"
    if vram is None or gpu is None:
        return [key], "the choice rule: Turbo on the CPU"
    if key == family.TURBO.key:
        rule = f"Turbo on cards of {small} or less"
    else:
        rule = f"the original on cards over {small}"
    return [key], f"the choice rule: {rule}; this one has {gpu.vram_mib} MiB"


def _add_model_steps(plan: Plan) -> None:
    plan.chosen, plan.models_reason = choose_models(plan)
    shown = env.shown_python(plan.options.platform)
    dest = _shown(plan, plan.model_dir)
    for key in plan.chosen:
        model = family.MODELS[key]
        state = models.model_state(plan.model_dir, key)
        step = Step(
            f"model-{key}",
            f"Download {model.title} ({key}) from {model.repo} into {_shown(plan, state.folder)}",
            [shown, "-m", "studio_setup.fetch_model", "--model", key, "--dest", dest],
            network="hub",
        )
        # Multilingual's Cangjie table, there but not yet where chatterbox-tts looks it up.
        unfiled = (state.folder / family.CANGJIE_FILE).is_file() and not models.cangjie_snapshot(
            state.folder
        )
        if state.complete and not unfiled:
            count = len((state.manifest or {}).get("files") or {})
            step.done = f"all {count} files complete (sizes match {models.MANIFEST})"
        elif not state.complete:
            remote = plan.remote[key] = models.remote_sizes(model)
            step.needs_bytes = state.still_to_download(remote.sizes)
            plan.notes.append(_models_note(model, remote, step.needs_bytes, state.partial_bytes))
        plan.steps.append(step)
    _add_setting_step(plan)


def _add_setting_step(plan: Plan) -> None:
    """CHATTERBOX_MODEL in .env, for exactly one model named with --model."""
    named = plan.options.named_models
    project = plan.options.project
    written = env_file.read_value(project, MODEL_SETTING)
    if len(named) != 1:
        if len(named) > 1 and written:
            plan.notes.append(
                f"Several models chosen: .env keeps {MODEL_SETTING}={written} (auto lets the "
                "server choose among the installed ones)."
            )
        return
    step = Step("settings", f"Set {MODEL_SETTING}={named[0]} in .env (the server loads it)", [])
    if written == named[0]:
        step.done = "already set"
    plan.steps.append(step)
    environ = os.environ.get(MODEL_SETTING, "").strip()
    if environ and environ != named[0]:
        plan.notes.append(
            f"{MODEL_SETTING}={environ} is set in the environment, which wins over .env."
        )


def _shown(plan: Plan, path: Path) -> str:
    try:
        return str(path.relative_to(plan.options.project.resolve()))
    except ValueError:
        return str(path)


def _models_note(
    model: family.ChatterboxModel, remote: models.RemoteSizes, left: int, partial: int
) -> str:
    where = "from the hub's file list"
    if remote.sizes is None:
        where = f"estimated, since the hub's sizes are unknown: {remote.why}"
    resumed = f", resuming {human(partial)} already downloaded" if partial else ""
    return f"{model.title} model files: {human(left)} to download ({where}{resumed})."


def _add_notes(plan: Plan) -> None:
    gpu = plan.gpu.gpu
    if plan.engine == "piper" and plan.options.platform != "macos":
        add = "python setup_env.py --engine chatterbox"
        if gpu is not None and best_cuda_build(gpu.driver, plan.options.platform):
            plan.notes.append(f"Voice cloning (Chatterbox on your GPU) can be added with: {add}")
        else:
            plan.notes.append(
                f"Piper speaks on the CPU but cannot clone voices. To add Chatterbox: {add} "
                "(warning: without an NVIDIA GPU, Chatterbox runs on the CPU, many times slower "
                "than real time)."
            )
    torch = plan.torch if plan.engine == "chatterbox" else None
    if torch is not None and torch.variant == "cpu":
        plan.notes.append(
            "Chatterbox will run on the CPU: many times slower than real time "
            "(minutes for a sentence or two)."
        )
    if torch is not None and torch.cuda and gpu is not None and 0 < gpu.vram_mib < MIN_VRAM_MIB:
        plan.notes.append(
            f"{gpu.name} has {gpu.vram_mib} MiB of VRAM; Chatterbox needs roughly "
            f"{MIN_VRAM_MIB} MiB and may run out of memory (Piper always works)."
        )


def engine_label(plan: Plan) -> str:
    if plan.engine != "chatterbox":
        return plan.engine.capitalize()
    if plan.torch is not None and plan.torch.variant == "default":
        return "Chatterbox"
    return "Chatterbox on the GPU" if plan.torch and plan.torch.cuda else "Chatterbox on the CPU"


def describe(plan: Plan, python_version: str) -> list[str]:
    """The plan as lines for the user: the facts, then the numbered steps, then notes."""
    options = plan.options
    gpu = plan.gpu.gpu
    lines = [
        f"  Python   {python_version} ({sys.executable})",
        f"  System   {platform_label(options.platform)}, project folder {options.project}",
        f"  GPU      {gpu.describe() if gpu else plan.gpu.note}",
        f"  Engine   {engine_label(plan)} ({plan.engine_reason})",
    ]
    if plan.torch is not None:
        needs = (
            f", needs NVIDIA driver {plan.torch.min_driver} or newer (yours: {gpu.driver})"
            if plan.torch.min_driver and gpu
            else ""
        )
        lines.append(f"  PyTorch  {plan.torch.describe()}{needs}")
    if plan.chosen:
        titles = ", ".join(f"{family.MODELS[key].title} ({key})" for key in plan.chosen)
        lines.append(f"  Models   {titles}: {plan.models_reason}")
    free = human(plan.free)
    disk = f"needs about {human(plan.needs_bytes)}, {free} free" if plan.pending else f"{free} free"
    lines += [f"  Disk     {disk}", "", "Steps:"]
    for number, step in enumerate(plan.steps, 1):
        mark = f"[done: {step.done}] " if step.done else ""
        lines.append(f"  {number}. {mark}{step.title}")
        if not step.done and step.args:
            lines.append(f"       {render(step.args)}")
    if plan.notes:
        lines += ["", "Notes:", *(f"  - {note}" for note in plan.notes)]
    return lines

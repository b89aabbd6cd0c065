"""Carries out a plan: checks disk and network first, then runs each step still to do, in order.

Every expected failure becomes a SetupError with its exit code and the fix to print. pip's own
output reaches the user as it comes (its progress bars included); its error stream is also kept,
so a failure can be told apart as no network, a full disk, or something else.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys

from backend.core import models as family
from studio_setup import env_file, exits, network
from studio_setup import environment as env
from studio_setup import model_files as models
from studio_setup.machine import detect_gpu, human
from studio_setup.plan import (
    MODEL_SETTING,
    Options,
    Plan,
    Step,
    build_plan,
    describe,
    engine_label,
    render,
)

AGAIN = "python setup_env.py"


def run_setup(options: Options, python_version: tuple[int, ...], plan_only: bool) -> int:
    shown_version = ".".join(map(str, python_version))
    title = "Chatterbox Studio setup"
    print(title + (": the plan only, nothing will be changed" if plan_only else ""))
    print("Looking at this computer...", flush=True)
    plan = build_plan(options, detect_gpu())
    _refuse_bad_combinations(plan, python_version)
    print("\n".join(describe(plan, shown_version)))
    if plan.pending and plan.free < plan.needs_bytes:
        smaller = f", or install the small engine only: {AGAIN} --engine piper"
        raise exits.SetupError(
            exits.NO_DISK_SPACE,
            f"Not enough free disk space in {options.project}: these steps need about "
            f"{human(plan.needs_bytes)}, and {human(plan.free)} is free.",
            f"Free up {human(plan.needs_bytes - plan.free)} (python cleanup.py --dry-run shows "
            "what Chatterbox Studio keeps on disk)"
            + (smaller if plan.engine == "chatterbox" else ""),
        )
    if plan_only:
        print("\nNothing was changed (plan only).")
        return exits.OK
    if not plan.pending:
        print("\nNothing to change: everything is already set up.")
        _print_next(plan)
        return exits.OK
    _check_network(plan)
    for number, step in enumerate(plan.steps, 1):
        if not step.done:
            print(f"\n[{number}/{len(plan.steps)}] {step.title}", flush=True)
            _run_step(plan, step)
    print("\nDone: Chatterbox Studio is set up.")
    _print_next(plan)
    return exits.OK


def _refuse_bad_combinations(plan: Plan, python_version: tuple[int, ...]) -> None:
    options = plan.options
    if options.dev and plan.engine == "chatterbox":
        raise exits.SetupError(
            exits.USAGE,
            "--dev cannot share an environment with Chatterbox: the test tools pin torch 2.13 "
            "(CPU), Chatterbox pins torch 2.6.0.",
            f"Use {AGAIN} --dev --engine piper for the test environment.",
        )
    if options.dev and "chatterbox-tts" in plan.installed:
        raise exits.SetupError(
            exits.USAGE,
            f"{env.VENV_NAME} already has Chatterbox (torch 2.6.0); the test tools would replace "
            "its torch with 2.13.",
            "Make a separate environment for the tests: python -m venv .venv, then "
            '.venv/bin/pip install -e ".[dev]"',
        )
    if plan.engine == "chatterbox" and plan.torch and python_version >= (3, 14):
        raise exits.SetupError(
            exits.PYTHON_TOO_OLD,
            f"Python {'.'.join(map(str, python_version))} is too new for Chatterbox: torch "
            "2.6.0 has no build for it.",
            "Install Python 3.11, 3.12 or 3.13 and run setup_env.py with it.",
        )


def _check_network(plan: Plan) -> None:
    kinds = {step.network for step in plan.pending}
    fix = f"Check the internet connection (and any proxy settings), then run {AGAIN} again."
    if "pip" in kinds:
        tried = network.pip_unreachable(sys.executable)
        if tried:
            raise exits.SetupError(
                exits.NO_NETWORK,
                f"No network: the Python package index cannot be reached ({', '.join(tried)}).",
                fix,
            )
    index = plan.torch.index_url if plan.torch else None
    if "torch" in kinds and index and not network.reachable(index + "/"):
        raise exits.SetupError(
            exits.NO_NETWORK,
            f"No network: the PyTorch wheel index cannot be reached ({index}).",
            fix,
        )
    pending = [step.id.removeprefix("model-") for step in plan.pending if step.network == "hub"]
    cut_off = [key for key in pending if key in plan.remote and plan.remote[key].unreachable]
    if cut_off:
        key = cut_off[0]
        folder = models.model_state(plan.model_dir, key).folder
        listed = ", ".join(family.MODELS[key].files)
        if models.hub_offline():
            raise exits.SetupError(
                exits.NO_NETWORK,
                f"{models.hub_offline()} is set, so the model files cannot be downloaded.",
                f"Unset {models.hub_offline()} and run {AGAIN} again, or copy the files of "
                f"{family.MODELS[key].title} ({listed}) into {folder}.",
            )
        raise exits.SetupError(
            exits.NO_NETWORK,
            f"No network: the model hub cannot be reached ({plan.remote[key].why}).",
            fix,
        )


def _absolute(plan: Plan, args: list[str]) -> list[str]:
    if args[0].startswith(env.VENV_NAME):
        python = env.venv_python(plan.options.project / env.VENV_NAME, plan.options.platform)
        return [str(python), *args[1:]]
    return args


def _run_step(plan: Plan, step: Step) -> None:
    args = _absolute(plan, step.args) if step.args else []
    project = plan.options.project
    child_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if step.args:
        print(f"  {render(step.args)}", flush=True)
    if step.id == "venv":
        done = subprocess.run(args, cwd=project, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = (done.stdout + done.stderr).strip()
            apt = " (on Debian/Ubuntu: sudo apt install python3-venv)"
            hint = apt if "ensurepip" in said else ""
            raise exits.SetupError(
                exits.STEP_FAILED,
                f"Could not create the virtual environment: {said[-500:]}",
                f"Fix the Python installation{hint}, then run {AGAIN} again.",
            )
        _stamp(plan, step)
        return
    if step.id == "settings":
        key = plan.options.named_models[0]
        env_file.set_value(project, MODEL_SETTING, key)
        print(f"  .env now says {MODEL_SETTING}={key}.", flush=True)
        return
    if step.id.startswith("model-"):
        code = subprocess.run(args, cwd=project, env=child_env, check=False).returncode
        if code in (exits.NO_NETWORK, exits.NO_DISK_SPACE, exits.DOWNLOAD_FAILED):
            raise exits.SetupError(code, "The model download did not finish (see above).", "")
        if code != 0:
            raise exits.SetupError(
                exits.STEP_FAILED, f"The model download stopped (exit code {code}).", ""
            )
        return
    code, tail = _stream(args, project, child_env)
    if code == 0:
        _stamp(plan, step)
        return
    kind = network.classify_pip_failure(tail)
    if kind == "network":
        raise exits.SetupError(
            exits.NO_NETWORK,
            "pip lost the network while installing.",
            f"Check the internet connection, then run {AGAIN} again (it continues from here).",
        )
    if kind == "disk":
        raise exits.SetupError(
            exits.NO_DISK_SPACE,
            "The disk filled up while installing.",
            f"Free some space (python cleanup.py --dry-run shows what this project keeps), then "
            f"run {AGAIN} again.",
        )
    raise exits.SetupError(
        exits.STEP_FAILED,
        f"This step failed (pip exit code {code}); pip's messages are above.",
        f"Run {AGAIN} again; if it fails the same way, run {AGAIN} --check and keep its output.",
    )


def _stream(args: list[str], cwd, child_env: dict) -> tuple[int, str]:
    """Runs pip with its output on the terminal; returns its exit code and its last errors."""
    tail: collections.deque[str] = collections.deque(maxlen=80)
    with subprocess.Popen(
        args, cwd=cwd, env=child_env, stderr=subprocess.PIPE, text=True, errors="replace"
    ) as child:
        assert child.stderr is not None
        for line in child.stderr:
            sys.stderr.write(line)
            tail.append(line)
        return child.wait(), "".join(tail)


def _stamp(plan: Plan, step: Step) -> None:
    venv = plan.options.project / env.VENV_NAME
    stamp = env.read_stamp(venv)
    stamp["engine"], stamp["cpu"] = plan.engine, plan.cpu
    if step.id != "venv":
        key = env.step_key(plan.options.project, render(step.args))
        stamp.setdefault("steps", {})[step.id] = key
    env.write_stamp(venv, stamp)


def _print_next(plan: Plan) -> None:
    start = "start_windows.bat" if plan.options.platform == "windows" else "./start_linux.sh"
    print(f"Engine: {engine_label(plan)}. Start the studio with: {start}")
    print(f"Check the installation any time with: {AGAIN} --check")

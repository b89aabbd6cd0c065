"""Sets up Chatterbox Studio on this computer. Safe to run again: it only does what is missing.

  python setup_env.py                        the best engine this machine can run
  python setup_env.py --plan                 show the steps and commands; change nothing
  python setup_env.py --check                what is installed, what is wrong, how to fix it
  python setup_env.py --engine chatterbox    voice cloning (without an NVIDIA GPU it runs on
                                             the CPU, many times slower than real time)
  python setup_env.py --engine piper         the small CPU engine only (no voice cloning)
  python setup_env.py --model turbo          Chatterbox with this model (several may be given:
                                             --model original turbo multilingual)

It creates .venv_chatterbox/ in the project folder and installs the project with its studio
(pip install -e ".[ui]"). With an NVIDIA GPU (found with nvidia-smi) it adds Chatterbox: torch
2.6.0 built for CUDA from the PyTorch wheel index (a CUDA build the driver can run), the
chatterbox extra, and the model's files, each model into its own folder model_cache/<model>/.
Models (--model): original (Chatterbox, about 3.2 GB; exaggeration and cfg_weight controls),
turbo (Chatterbox Turbo, about 2.8 GB; fastest, reads tags such as [laugh]) and multilingual
(Chatterbox Multilingual, about 3.3 GB; 23 languages). auto (the default) keeps the models
already there, else takes Turbo on the CPU and on cards of 8 GiB or less, the original above.
Exactly one model named with --model is also written to .env as CHATTERBOX_MODEL. Without a
GPU it installs Piper, which needs nothing more. Free disk space and the network are checked
before anything long starts. Standard library only, so it runs before anything is installed
(Python 3.11+).

Exit codes:
  0  done, or nothing to do (--check: all good)
  1  a step failed; its messages are shown
  2  wrong options
  3  wrong Python version (older than 3.11; for Chatterbox also newer than 3.13)
  4  no network: the package index, the PyTorch index or the model hub cannot be reached
  5  not enough free disk space
  6  the model download failed (what was downloaded is kept: run again to resume)
  7  --check found a problem (each is shown with the command that fixes it)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MIN_PYTHON = (3, 11)
EXIT_WRONG_PYTHON = 3
EXIT_STOPPED = 130
# Test-only: pretend to be another Python version, to exercise the refusal.
FAKE_PYTHON_ENV = "SETUP_ENV_FAKE_PYTHON_VERSION"
HERE = Path(__file__).resolve().parent


def python_version() -> tuple:
    fake = os.environ.get(FAKE_PYTHON_ENV)
    if fake:
        return tuple(int(part) for part in fake.split(".")[:3])
    return tuple(sys.version_info[:3])


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python setup_env.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "piper", "chatterbox"),
        default="auto",
        help="auto (default): Chatterbox with an NVIDIA GPU, else Piper",
    )
    parser.add_argument(
        "--cpu", action="store_true", help="Chatterbox with a CPU-only torch (no CUDA)"
    )
    parser.add_argument(
        "--model",
        nargs="+",
        choices=("auto", "original", "turbo", "multilingual"),
        default=["auto"],
        help="the Chatterbox models to download (default auto: see above)",
    )
    parser.add_argument("--dev", action="store_true", help="also the test tools (the dev extra)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="check the installation; fix nothing")
    mode.add_argument(
        "--plan", "--dry-run", action="store_true", help="print the steps; change nothing"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=HERE,
        help="the project folder (default: the folder of this file)",
    )
    # For --plan and --check only: plan for another operating system (used by the tests).
    parser.add_argument("--platform", choices=("linux", "windows", "macos"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def wrong_python(version: tuple) -> str:
    shown = ".".join(str(part) for part in version)
    if os.name == "nt":
        how = "install Python 3.11 or newer from python.org, then run: py -3.11 setup_env.py"
    else:
        how = "install Python 3.11 or newer, then run: python3.11 setup_env.py"
    return f"Python {shown} is too old: Chatterbox Studio needs Python 3.11 or newer.\nFix: {how}"


def main(argv=None) -> int:
    args = parse_args(argv)
    version = python_version()
    if version < MIN_PYTHON:
        print(wrong_python(version))
        return EXIT_WRONG_PYTHON
    # Imported only now: these helpers are standard library, but written for Python 3.11.
    from studio_setup import exits
    from studio_setup.doctor import run_check
    from studio_setup.machine import current_platform
    from studio_setup.plan import Options
    from studio_setup.runner import run_setup

    platform = args.platform or current_platform()
    if platform != current_platform() and not (args.plan or args.check):
        print("--platform only works with --plan or --check.")
        return exits.USAGE
    project = args.project_dir.resolve()
    if not (project / "pyproject.toml").is_file():
        print(f"{project} is not the Chatterbox Studio folder (it has no pyproject.toml).")
        print("Fix: run setup_env.py from the project folder, or pass --project-dir.")
        return exits.USAGE
    if "auto" in args.model and len(args.model) > 1:
        print("--model auto cannot be combined with named models.")
        return exits.USAGE
    if args.engine == "piper" and args.model != ["auto"]:
        print("--model chooses Chatterbox models; it does not go with --engine piper.")
        return exits.USAGE
    options = Options(project, platform, args.engine, args.cpu, args.dev, tuple(args.model))
    try:
        if args.check:
            return run_check(options, version)
        return run_setup(options, version, plan_only=args.plan)
    except exits.SetupError as error:
        print(f"\n{error.message}")
        if error.fix:
            print(f"Fix: {error.fix}")
        return error.code
    except KeyboardInterrupt:
        print("\nStopped. Run python setup_env.py again to continue where it stopped.")
        return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())

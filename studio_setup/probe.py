"""Run by the venv's python (as `python -c <this file's text> [--deep]`): what is installed here.

Prints one JSON line: the Python version, the installed versions of the distributions setup
cares about, and with --deep whether the key modules import and which torch build this is.
Standard library only, and plain enough for any Python 3, since the venv may be broken or old.
"""

import importlib
import json
import platform
import sys

DISTRIBUTIONS = (
    "chatterbox-studio",
    "piper-tts",
    "streamlit",
    "pytest",
    "torch",
    "torchaudio",
    "chatterbox-tts",
    "huggingface-hub",
)
MODULES = ("backend.main", "piper", "streamlit", "torch", "chatterbox")
NEEDS = {"streamlit": "streamlit", "torch": "torch", "chatterbox": "chatterbox-tts"}


def _versions():
    try:
        from importlib import metadata
    except ImportError:
        return {}
    found = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except Exception:
            found[name] = None
    return found


def _imports(packages):
    result = {}
    for module in MODULES:
        needed = NEEDS.get(module)
        if needed and packages.get(needed) is None:
            continue  # not installed: nothing to try
        try:
            importlib.import_module(module)
            result[module] = None
        except BaseException as exc:
            result[module] = (type(exc).__name__ + ": " + str(exc))[:300]
    return result


def _torch():
    try:
        import torch
    except BaseException:
        return None
    info = {
        "version": torch.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": False,
        "device": None,
    }
    try:
        info["cuda_available"] = bool(torch.cuda.is_available())
        if info["cuda_available"]:
            info["device"] = torch.cuda.get_device_name(0)
    except BaseException as exc:
        info["error"] = str(exc)[:300]
    return info


def main(argv):
    answer = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "packages": _versions(),
    }
    if "--deep" in argv:
        answer["imports"] = _imports(answer["packages"])
        if answer["packages"].get("torch"):
            answer["torch"] = _torch()
    sys.stdout.write("\n" + json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

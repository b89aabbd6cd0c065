"""The project's venv: where its python is, what is installed in it, and what setup already did.

What is installed is asked of the venv's own python (probe.py's code, passed with -c so nothing
in this folder shadows a real module), which prints one JSON line. The stamp file in the venv
records each finished pip step under a key made of pyproject.toml and the step's command, so a
second run skips what is done and redoes a step when either changes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from backend.core import atomic

VENV_NAME = ".venv_chatterbox"
STAMP_NAME = "chatterbox-setup.json"
PROBE_SOURCE = Path(__file__).resolve().with_name("probe.py")


def venv_python(venv: Path | str, platform: str) -> Path:
    venv = Path(venv)
    return venv / "Scripts" / "python.exe" if platform == "windows" else venv / "bin" / "python"


def shown_python(platform: str) -> str:
    """The venv's python as the user types it from the project folder."""
    if platform == "windows":
        return f"{VENV_NAME}\\Scripts\\python.exe"
    return f"{VENV_NAME}/bin/python"


def probe(python: Path, project: Path, deep: bool = False, timeout: float = 180) -> dict | None:
    """What the venv reports about itself (see probe.py), or None when it cannot run."""
    if not python.exists():
        return None
    code = PROBE_SOURCE.read_text(encoding="utf-8")
    args = [str(python), "-c", code, *(["--deep"] if deep else [])]
    try:
        done = subprocess.run(
            args, cwd=project, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return None
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and "python" in answer else None


def read_stamp(venv: Path) -> dict:
    try:
        data = json.loads((venv / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_stamp(venv: Path, data: dict) -> None:
    atomic.write_text(venv / STAMP_NAME, json.dumps(data, indent=2, sort_keys=True))


def step_key(project: Path, shown_command: str) -> str:
    digest = hashlib.sha256()
    pyproject = project / "pyproject.toml"
    digest.update(pyproject.read_bytes() if pyproject.is_file() else b"")
    digest.update(b"\0" + shown_command.encode("utf-8"))
    return digest.hexdigest()[:16]

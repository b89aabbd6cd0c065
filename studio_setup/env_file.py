"""The project's .env file: read one setting from it, and set one without touching the others.

The server reads CHATTERBOX_* settings from the environment first, then from .env
(backend.core.constants.read_environment). Set-up writes a line here only for a choice the user
made (setup_env.py --model with exactly one model); every other line stays as it was.
"""

from __future__ import annotations

from pathlib import Path

from backend.core import atomic
from backend.core.constants import ENV_FILE


def _key(line: str) -> str:
    key, sep, _ = line.strip().removeprefix("export ").partition("=")
    return key.strip() if sep else ""


def read_value(project: Path, name: str) -> str | None:
    """`name`'s value in the project's .env (the last line that sets it), None when unset."""
    path = project / ENV_FILE
    if not path.is_file():
        return None
    found = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if _key(line) == name:
            found = line.split("=", 1)[1].strip().strip("'\"")
    return found


def set_value(project: Path, name: str, value: str) -> None:
    """Make .env say `name=value`: the first line that sets it is rewritten, later ones are
    dropped (the last would win), and without one the line is added at the end. Atomic."""
    path = project / ENV_FILE
    text = path.read_bytes().decode("utf-8") if path.is_file() else ""  # keeps \r\n
    newline = "\r\n" if "\r\n" in text else "\n"
    lines, written = [], False
    for line in text.splitlines():
        if _key(line) != name:
            lines.append(line)
        elif not written:
            lines.append(f"{name}={value}")
            written = True
    if not written:
        lines.append(f"{name}={value}")
    atomic.write_text(path, newline.join(lines) + newline)

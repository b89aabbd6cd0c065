"""setup_env.py's exit codes and the one error type that carries them to the user."""

from __future__ import annotations

OK = 0
STEP_FAILED = 1
USAGE = 2
PYTHON_TOO_OLD = 3
NO_NETWORK = 4
NO_DISK_SPACE = 5
DOWNLOAD_FAILED = 6
CHECK_FAILED = 7


class SetupError(Exception):
    """An expected failure: shown as `message` and `fix` (no traceback), exits with `code`."""

    def __init__(self, code: int, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fix = fix

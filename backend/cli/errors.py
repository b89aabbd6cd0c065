"""What the command line tells a person when something is wrong: a code, a message, a solution."""

from __future__ import annotations

# Exit statuses: 0 all done, 1 something failed (its message and solution printed), 2 a usage
# error (argparse's own), 130 stopped by Ctrl+C (the shell's convention for SIGINT).
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class NarrateError(Exception):
    """A failure shown as its message and solution, never a traceback.

    `fatal`: it stops the whole run (the server is gone, the voice is unknown), rather than only
    the one book it happened to."""

    def __init__(
        self,
        code: str,
        message: str,
        solution: str = "",
        *,
        fatal: bool = False,
        status: int = EXIT_FAILED,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.solution = solution
        self.fatal = fatal

    def lines(self, source: str | None = None) -> str:
        """The text printed for it: 'error: <message>' (with the book's name), its solution."""
        where = f"{source}: " if source else ""
        text = f"error: {where}{self.message}"
        return f"{text}\n  {self.solution}" if self.solution else text


def file_not_found(path: str) -> NarrateError:
    return NarrateError(
        "file_not_found",
        f"There is no file '{path}'.",
        "Check the name and the folder (a relative name is read from the current folder).",
        fatal=True,
    )

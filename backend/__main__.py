"""`python -m backend`: run the server on the configured host and port (127.0.0.1:8000);
`python -m backend narrate ...`: the command line that narrates books through it;
`python -m backend worker ...`: speaks another server's scenes (backend.cli.worker)."""

from __future__ import annotations

import sys

import uvicorn

from backend.core.settings import Settings


def main() -> None:
    if sys.argv[1:2] == ["narrate"]:
        from backend.cli.narrate import main as narrate  # only the command line needs it

        sys.exit(narrate(sys.argv[2:]))
    if sys.argv[1:2] == ["worker"]:
        from backend.cli.worker import main as worker

        sys.exit(worker(sys.argv[2:]))
    settings = Settings()
    if problem := settings.exposure_problem():
        sys.exit(f"Refusing to start: {problem}")
    uvicorn.run("backend.main:create_app", factory=True, host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

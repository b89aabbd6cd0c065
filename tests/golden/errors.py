"""The golden file of error wording, tests/golden/errors.json, from backend/core/errors.py.

Regenerate it after changing an error class: `python -m tests.golden.errors`
(`--check` exits 1, saying so, when the file is out of date).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from backend.core import errors

GOLDEN = Path(__file__).with_name("errors.json")
REGENERATE = ".venv_chatterbox/bin/python -m tests.golden.errors"


def error_classes() -> list[type[errors.AppError]]:
    """AppError, then every subclass that backend.core.errors gathers, by name (so moving a class
    between the modules it gathers changes nothing here)."""
    found = [errors.AppError]
    for cls in found:  # grows while it is walked: subclasses of subclasses too
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    ours = [cls for cls in found if cls.__name__ in errors.__all__]
    assert all(getattr(errors, cls.__name__) is cls for cls in ours), "two classes of one name"
    return sorted(ours, key=lambda cls: (cls is not errors.AppError, cls.__name__))


def wording() -> dict[str, dict[str, object]]:
    """{class name: {code, status, message, solution}} with each class's defaults."""
    return {
        cls.__name__: {
            "code": cls.code,
            "status": cls.status_code,
            "message": cls.default_message,
            "solution": cls.default_solution,
        }
        for cls in error_classes()
    }


def render() -> str:
    return json.dumps(wording(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    current = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    if args.check:
        if current != render():
            print(f"{GOLDEN} is out of date; regenerate it: {REGENERATE}")
            return 1
        return 0
    GOLDEN.write_text(render(), encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(wording())} errors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

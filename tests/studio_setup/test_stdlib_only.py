"""studio_setup/ (and what it borrows from backend.core) runs on a bare Python: standard library only.

setup_env.py imports these modules before anything is installed, and deload.py, cleanup.py and
launcher.py share them. Each is imported in a fresh `python -S -E` (no site-packages, no
PYTHONPATH), and every module then loaded must belong to the standard library or the project.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("backend.core.constants", "backend.core.atomic", "backend.core.models")
PROJECT = ("backend", "studio_setup", "__main__")  # __main__: the -c program itself


def setup_modules() -> list[str]:
    return sorted(f"studio_setup.{path.stem}" for path in (ROOT / "studio_setup").glob("*.py"))


def loaded_by(modules: list[str]) -> dict:
    code = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "failed = {}\n"
        f"for name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as exc:\n"
        "        failed[name] = str(exc)\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        f"other = sorted(t for t in tops if t not in sys.stdlib_module_names and t not in {PROJECT!r})\n"
        "print(json.dumps({'failed': failed, 'other': other}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-E", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_every_setup_module_and_the_shared_ones_import_without_site_packages():
    modules = [*setup_modules(), *SHARED]
    assert "studio_setup.doctor" in modules  # the glob found the package
    assert loaded_by(modules) == {"failed": {}, "other": []}


def test_the_check_catches_a_third_party_import():
    # The same check on a module that needs a dependency: it must fail, or the test above proves
    # nothing. (`requests` is installed in the test venv; -S hides it.)
    result = loaded_by(["requests"])
    assert list(result["failed"]) == ["requests"]


def test_the_package_imports_nothing_of_the_server_beyond_the_shared_modules():
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import importlib\n"
        f"for name in {setup_modules()!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('backend')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-E", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(ast.literal_eval(done.stdout.split("\n")[0]))
    assert "backend.core.constants" in loaded
    assert loaded <= {"backend", "backend.core", *SHARED}

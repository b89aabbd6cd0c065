"""pyproject.toml: the wheel ships the server and the studio, not setup_env.py's helpers or the
developer tools, which stay importable from the project folder (scripts, tests, editable install)."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from setuptools import find_packages

from tests.scripts.script_helpers import ROOT


def test_the_wheel_holds_backend_and_frontend_only():
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = find_packages(str(ROOT), **find["find"])
    assert {name.split(".")[0] for name in packages} == {"backend", "frontend"}
    assert "backend.core" in packages
    assert not [name for name in packages if name.startswith(("backend.setup", "backend.tools"))]


def test_the_moved_packages_import_from_the_project_folder():
    done = subprocess.run(
        [sys.executable, "-c", "import studio_setup, studio_tools; print('ok')"],
        cwd=ROOT,
        env={"PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr

"""backend/main.py: an application factory, and no application built at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

import backend.main

ROOT = Path(__file__).resolve().parents[2]


def test_importing_main_builds_no_module_level_app():
    assert not hasattr(backend.main, "app")


def test_uvicorn_factory_string_loads_an_app_from_create_app(tmp_path):
    # What `python -m backend` and every starter give uvicorn: the factory, not an object.
    code = (
        "import uvicorn.config\n"
        "config = uvicorn.config.Config('backend.main:create_app', factory=True)\n"
        "config.load()\n"
        "app = config.loaded_app\n"
        "while hasattr(app, 'app'):  # uvicorn's own middleware around it\n"
        "    app = app.app\n"
        "print(type(app).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "CHATTERBOX_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == FastAPI.__name__

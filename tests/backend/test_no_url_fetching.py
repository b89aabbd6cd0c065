"""The server never fetches a URL on anyone's behalf: no module it runs imports an HTTP client.

setup_env.py's helpers (studio_setup/, which download the model) and the developer tools
(studio_tools/) live outside the package, and the server never imports them (tested below too).
The command line (backend/cli/, `python -m backend narrate`) is a client of the server: it talks
HTTP to it, sits above the server in the layers, and the server never imports it (tested below).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"
CLIENT = BACKEND / "cli"  # the server's own client, not the server
HTTP_CLIENTS = {"requests", "httpx", "aiohttp", "urllib3", "urllib.request", "http.client"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_server_module_imports_an_http_client():
    offenders = {
        str(path.relative_to(BACKEND)): sorted(imported_modules(path) & HTTP_CLIENTS)
        for path in BACKEND.rglob("*.py")
        if CLIENT not in path.parents
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_running_server_has_not_loaded_a_third_party_http_client():
    # (http.client itself is loaded by the web stack's own imports; the first test shows that no
    # module of ours imports it.)
    clients = sorted(HTTP_CLIENTS - {"http.client", "urllib.request"})
    code = (
        "import sys; import backend.main; "
        f"print(sorted(m for m in {clients!r} if m in sys.modules)); "
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('studio_setup', 'studio_tools', 'backend.cli'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BACKEND.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["[]", "[]"]

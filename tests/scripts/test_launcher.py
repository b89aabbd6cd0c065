"""launcher.py without a real start (test_start_linux.py starts both servers for real)."""

from __future__ import annotations

from tests.scripts.script_helpers import run_script


def test_the_launcher_refuses_the_retired_port_variables_and_names_their_successors():
    done = run_script("launcher.py", env={"BACKEND_PORT": "8010", "FRONTEND_PORT": "8511"})
    assert done.returncode == 2
    assert "BACKEND_PORT is no longer read: set CHATTERBOX_PORT instead" in done.stderr
    assert "(for example CHATTERBOX_PORT=8010)" in done.stderr
    assert "FRONTEND_PORT is no longer read: set CHATTERBOX_STUDIO_PORT instead" in done.stderr

#!/usr/bin/env bash
# Chatterbox Studio, one command: sets up on the first run, then starts the narration server and
# the studio and prints the address. Ctrl+C stops both.
# Ports: CHATTERBOX_PORT (default 8000) and CHATTERBOX_STUDIO_PORT (default 8501), from the
# environment or .env, as the server reads them; launcher.py passes nothing of its own.
set -euo pipefail
cd "$(dirname "$0")"

python_bin=".venv_chatterbox/bin/python"
if [ ! -x "$python_bin" ]; then
    echo "First run: setting up (this installs the studio into .venv_chatterbox) ..."
    if command -v python3 >/dev/null; then system_python=python3; else system_python=python; fi
    "$system_python" setup_env.py
fi
exec "$python_bin" launcher.py

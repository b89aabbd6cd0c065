"""What the server and its standard-library scripts must agree on: model files, ports, the URL.

Standard library only, and importable without the rest of the package (backend/__init__.py and
backend/core/__init__.py import nothing), so setup_env.py, deload.py, cleanup.py and launcher.py
read these definitions before anything is installed. tests/studio_setup/test_stdlib_only.py
keeps it that way.

The URL rule, the one place that turns settings into the server's address:
- CHATTERBOX_HOST and CHATTERBOX_PORT (or PORT; CHATTERBOX_PORT wins) decide where the server
  listens, exactly as Settings reads them: the environment first, then the project's `.env`.
- Clients on this machine reach it at http://<host>:<port>, with 127.0.0.1 for an all-interfaces
  bind (0.0.0.0, ::) and an IPv6 address in brackets: `local_url`.
- CHATTERBOX_URL is for clients only (the studio, deload.py, cleanup.py, the setup check): the
  address to use instead, when the server is not where the host/port rule says (another machine,
  a container name, a reverse proxy). The server itself never reads it: `server_url`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "CHATTERBOX_"
ENV_FILE = ".env"

# The Chatterbox checkpoint (ChatterboxTTS.from_local reads these five files; about 3.2 GB).
CHATTERBOX_REPO = "ResembleAI/chatterbox"
MODEL_FILES = (
    "ve.safetensors",
    "t3_cfg.safetensors",
    "s3gen.safetensors",
    "tokenizer.json",
    "conds.pt",
)
# Written by studio_tools.make_test_checkpoint into a folder of random weights.
TEST_WEIGHTS_MARKER = "RANDOM_TEST_WEIGHTS.json"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_STUDIO_PORT = 8501  # Streamlit's; CHATTERBOX_STUDIO_PORT changes it
ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")


def read_environment(
    project: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The CHATTERBOX_*, PORT and WORKERS variables the server would see: `project`/.env, then the
    environment over it (pydantic-settings' order). Lines are NAME=value; quotes are stripped."""
    values: dict[str, str] = {}
    env_file = (project / ENV_FILE) if project is not None else None
    if env_file is not None and env_file.is_file():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            key, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and _read_by_server(key.strip()):
                values[key.strip()] = value.strip().strip("'\"")
    environ = os.environ if environ is None else environ
    values.update({key: value for key, value in environ.items() if _read_by_server(key)})
    return values


# Settings fields that also read a variable without the prefix (their validation aliases).
UNPREFIXED = ("PORT", "WORKERS")


def _read_by_server(name: str) -> bool:
    return name.startswith(ENV_PREFIX) or name in UNPREFIXED


def listen_port(config: Mapping[str, str]) -> str:
    """CHATTERBOX_PORT, else PORT, else the default (as Settings.port reads them)."""
    return (config.get("CHATTERBOX_PORT") or config.get("PORT") or str(DEFAULT_PORT)).strip()


def local_workers(config: Mapping[str, str]) -> str:
    """CHATTERBOX_WORKERS, else WORKERS, else "0" (as Settings.workers reads them): how many
    worker processes launcher.py starts beside the server. Unparsed: the caller says why not."""
    return (config.get("CHATTERBOX_WORKERS") or config.get("WORKERS") or "0").strip()


def local_url(config: Mapping[str, str]) -> str:
    """Where the server `config` describes listens, as a client on this machine reaches it."""
    host = config.get("CHATTERBOX_HOST", DEFAULT_HOST).strip()
    if host in ALL_INTERFACES:
        host = DEFAULT_HOST
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{listen_port(config)}"


def server_url(config: Mapping[str, str]) -> str:
    """The address a client uses: CHATTERBOX_URL when set, else `local_url`. No trailing /."""
    return (config.get("CHATTERBOX_URL", "").strip() or local_url(config)).rstrip("/")

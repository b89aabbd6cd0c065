"""Can pip and the hub be reached? Asked before a long step, so a dead network fails in seconds.

pip's indexes come from pip itself (`pip config list`, which includes PIP_* variables), else its
built-in default. An index counts as reachable when any HTTP answer comes back (even an error
status): only a failure to connect means no network. A local index (file://) always counts.
"""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

_CONFIG_LINE = re.compile(r"^[\w:.-]*?\.?(index-url|extra-index-url|find-links|proxy)='(.*)'$")
_PIP_DEFAULT = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
NETWORK_SIGNS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "getaddrinfo failed",
    "nodename nor servname",
    "No connection could be made",
    "Connection refused",
    "ConnectTimeoutError",
    "Read timed out",
    "ProxyError",
    "Network is unreachable",
)
DISK_SIGNS = ("No space left on device", "[Errno 28]", "not enough space on the disk")


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def pip_sources(python: str) -> tuple[list[str], bool]:
    """The index and find-links locations pip would use, and whether pip goes through a proxy."""
    sources: list[str] = []
    has_index = proxy = False
    for line in _run([python, "-m", "pip", "config", "list"]).splitlines():
        match = _CONFIG_LINE.match(line.strip())
        if not match:
            continue
        key, value = match.groups()
        if key == "proxy":
            proxy = proxy or bool(value.strip())
            continue
        has_index = has_index or key == "index-url"
        sources.extend(value.split())
    if not has_index:
        default = _run([python, "-c", _PIP_DEFAULT]).strip()
        if default:
            sources.insert(0, default)
    return sources, proxy


def reachable(url: str, timeout: float = 6.0) -> bool:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:  # a path (C: is a drive)
        local = urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else url
        return Path(local).exists()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered: the network works
    except (urllib.error.URLError, OSError, ValueError):
        return False


def pip_unreachable(python: str) -> list[str] | None:
    """None when pip can fetch (some index or find-links answers), else what was tried."""
    sources, proxy = pip_sources(python)
    if proxy or not sources:
        return None  # a pip proxy setting (urllib would not use it) or nothing known: trust pip
    local_first = sorted(sources, key=lambda url: url.startswith(("http:", "https:")))
    return None if any(reachable(url) for url in local_first) else sources


def classify_pip_failure(output: str) -> str:
    """'network', 'disk' or 'other', from what pip printed."""
    if any(sign in output for sign in DISK_SIGNS):
        return "disk"
    if any(sign in output for sign in NETWORK_SIGNS):
        return "network"
    return "other"

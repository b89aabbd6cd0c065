"""The NVIDIA card's own memory figures, read without torch: the server process never imports it
(the model and torch live in the engine host), so after an unload it asks the driver's tool.

`nvidia-smi` ships with the driver on Windows and Linux. Its indices are the physical ones;
CUDA_VISIBLE_DEVICES (a list of indices) maps the engine's `cuda:N` onto them.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

MIB = 1024 * 1024
TIMEOUT_SECONDS = 5.0


def physical_index(device: str, visible: str | None = None) -> int:
    """The nvidia-smi index of the engine's device (`cuda`, `cuda:1`)."""
    _, _, number = device.partition(":")
    logical = int(number) if number.isdigit() else 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES") if visible is None else visible
    listed = [part.strip() for part in (visible or "").split(",") if part.strip()]
    if logical < len(listed) and listed[logical].isdigit():
        return int(listed[logical])
    return logical


def device_used(device: str) -> int | None:
    """Bytes in use on the card right now, by every program; None without nvidia-smi or a card
    it can read (never raises: a figure is a nicety)."""
    return _query_mib(device, "memory.used")


def total_memory(device: str = "cuda") -> int | None:
    """The card's total memory in bytes; None without nvidia-smi or a card (never raises)."""
    return _query_mib(device, "memory.total")


def _query_mib(device: str, field: str) -> int | None:
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    command = [
        tool,
        f"--id={physical_index(device)}",
        f"--query-gpu={field}",
        "--format=csv,noheader,nounits",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=True
        )
        return int(float(done.stdout.strip().splitlines()[0])) * MIB
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        log.debug("nvidia-smi gave no %s figure: %s", field, exc)
        return None

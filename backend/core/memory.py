"""Process and system memory readings, and handing freed heap back to the operating system."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys

import psutil


def process_rss() -> int:
    """Resident set size of this process, in bytes."""
    return psutil.Process().memory_info().rss


def system_ram() -> dict[str, int]:
    vm = psutil.virtual_memory()
    return {"ram_total_bytes": vm.total, "ram_available_bytes": vm.available}


def release_memory() -> None:
    """Collect garbage and return free heap pages to the OS, so RSS reflects what was freed.

    glibc keeps freed arenas mapped; malloc_trim(0) gives them back. Elsewhere gc alone is done.
    """
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # musl or another libc: no trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)

"""What this computer is: operating system, NVIDIA GPU (through nvidia-smi), free disk space."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Test-only override of the free space (bytes), so the "not enough disk" path can be exercised.
FAKE_FREE_BYTES_ENV = "SETUP_ENV_FAKE_FREE_BYTES"
NVIDIA_SMI_ARGS = (
    "--query-gpu=name,driver_version,memory.total",
    "--format=csv,noheader,nounits",
)
PLATFORMS = ("linux", "windows", "macos")


@dataclass(frozen=True)
class Gpu:
    """The first NVIDIA GPU (the one torch uses by default); `count` GPUs in all."""

    name: str
    driver: str
    vram_mib: int
    count: int = 1

    def describe(self) -> str:
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        return f"{self.name}{more}: {self.vram_mib} MiB VRAM, driver {self.driver}"


@dataclass(frozen=True)
class GpuProbe:
    """The GPU, or None with `note` saying why none was found."""

    gpu: Gpu | None
    note: str = ""


def current_platform() -> str:
    if os.name == "nt":
        return "windows"
    return "macos" if sys.platform == "darwin" else "linux"


def platform_label(platform: str) -> str:
    return {"linux": "Linux", "windows": "Windows", "macos": "macOS"}[platform]


def version_tuple(text: str) -> tuple[int, ...]:
    """'551.86' -> (551, 86); '525.60.13' -> (525, 60, 13). Non-numbers count as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in text.strip().split("."))


def _nvidia_smi() -> str | None:
    found = shutil.which("nvidia-smi")
    if found or os.name != "nt":
        return found
    # Older Windows drivers put nvidia-smi outside PATH.
    system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
    program_files = os.environ.get("PROGRAMFILES", r"C:\Program Files")
    for candidate in (
        Path(system_root) / "System32" / "nvidia-smi.exe",
        Path(program_files) / "NVIDIA Corporation" / "NVSMI" / "nvidia-smi.exe",
    ):
        if candidate.is_file():
            return str(candidate)
    return None


def detect_gpu() -> GpuProbe:
    """Asks nvidia-smi for name, driver version and VRAM; never raises."""
    exe = _nvidia_smi()
    if exe is None:
        return GpuProbe(None, "no NVIDIA GPU found (nvidia-smi is not installed)")
    try:
        done = subprocess.run(
            [exe, *NVIDIA_SMI_ARGS], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return GpuProbe(None, f"nvidia-smi did not answer ({exc})")
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip().splitlines()
        reason = said[0] if said else f"exit code {done.returncode}"
        return GpuProbe(None, f"nvidia-smi failed: {reason} (is the NVIDIA driver installed?)")
    gpus = []
    for line in done.stdout.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < 3 or not parts[0]:
            continue
        try:
            vram = int(float(parts[2]))
        except ValueError:
            vram = 0
        gpus.append((parts[0], parts[1], vram))
    if not gpus:
        return GpuProbe(None, "nvidia-smi listed no GPU")
    name, driver, vram = gpus[0]
    return GpuProbe(Gpu(name, driver, vram, count=len(gpus)))


def free_bytes(path: Path) -> int:
    """Free space on the drive that holds `path` (or its nearest existing parent)."""
    fake = os.environ.get(FAKE_FREE_BYTES_ENV)
    if fake:
        return int(fake)
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def human(n_bytes: float) -> str:
    """1024-based sizes, as the scripts and the studio show them: 0 B, 420 MB, 3.1 GB, -2.0 MB."""
    value, unit = float(abs(n_bytes)), "B"
    for next_unit in ("KB", "MB", "GB", "TB"):
        if round(value) < 1024:
            break
        value, unit = value / 1024, next_unit
    sign = "-" if n_bytes < 0 else ""
    if unit == "B" or value >= 100:
        return f"{sign}{value:.0f} {unit}"
    return f"{sign}{value:.1f} {unit}"

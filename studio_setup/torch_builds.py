"""Which torch 2.6.0 build Chatterbox gets: CUDA from the PyTorch wheel index, chosen by driver.

chatterbox-tts 0.1.7 pins torch 2.6.0, published for CUDA 11.8, 12.4 and 12.6 on the PyTorch
index; a plain install on Windows gives the CPU-only build, so the index is always named here.
The wheels carry their own CUDA runtime, so only the NVIDIA driver matters: CUDA minor-version
compatibility needs driver >= 525.60.13 (Linux) / 528.33 (Windows) for every 12.x build, and
>= 450.80.02 / 452.39 for 11.x builds. Versions pin the local label (`2.6.0+cu124`), so pip
replaces a CPU build of the same version instead of calling it satisfied.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio_setup.machine import Gpu, version_tuple

TORCH_VERSION = "2.6.0"
PYTORCH_INDEX = "https://download.pytorch.org/whl"


@dataclass(frozen=True)
class CudaBuild:
    variant: str  # the index folder and local version label, e.g. "cu124"
    cuda: str
    min_driver: dict[str, str]  # platform -> oldest driver that runs it


CUDA_BUILDS = (  # preferred first
    CudaBuild("cu124", "12.4", {"linux": "525.60.13", "windows": "528.33"}),
    CudaBuild("cu118", "11.8", {"linux": "450.80.02", "windows": "452.39"}),
)


@dataclass(frozen=True)
class TorchChoice:
    """The torch build to install. variant: "cu124", "cu118", "cpu", or "default" (macOS)."""

    variant: str
    cuda: str | None = None
    min_driver: str | None = None

    @property
    def index_url(self) -> str | None:
        return None if self.variant == "default" else f"{PYTORCH_INDEX}/{self.variant}"

    @property
    def versions(self) -> dict[str, str]:
        local = "" if self.variant == "default" else f"+{self.variant}"
        return {"torch": TORCH_VERSION + local, "torchaudio": TORCH_VERSION + local}

    @property
    def requirements(self) -> list[str]:
        return [f"{name}=={version}" for name, version in self.versions.items()]

    def describe(self) -> str:
        if self.cuda:
            return f"torch {TORCH_VERSION} for CUDA {self.cuda} ({self.variant})"
        if self.variant == "cpu":
            return f"torch {TORCH_VERSION}, CPU-only build"
        return f"torch {TORCH_VERSION} (Apple GPU through MPS, or CPU)"

    def install_args(self, python: str) -> list[str]:
        # --no-cache-dir: the CUDA wheels are gigabytes; a second copy in pip's cache would
        # double what a small disk has to hold.
        args = [python, "-m", "pip", "install", "--no-cache-dir", *self.requirements]
        return [*args, "--index-url", self.index_url] if self.index_url else args


def best_cuda_build(driver: str, platform: str) -> CudaBuild | None:
    """The preferred CUDA build this driver can run, or None when it is too old for all."""
    have = version_tuple(driver)
    for build in CUDA_BUILDS:
        if have >= version_tuple(build.min_driver.get(platform, build.min_driver["linux"])):
            return build
    return None


def min_driver(build: CudaBuild, platform: str) -> str:
    return build.min_driver.get(platform, build.min_driver["linux"])


def choose_torch(gpu: Gpu | None, platform: str, cpu: bool) -> tuple[TorchChoice, list[str]]:
    """The build for this machine, with notes for the user (driver too old, fallbacks)."""
    if platform == "macos":
        return TorchChoice("default"), []
    if cpu:
        return TorchChoice("cpu"), []
    if gpu is None:
        return TorchChoice("cpu"), []
    preferred = CUDA_BUILDS[0]
    build = best_cuda_build(gpu.driver, platform)
    notes = []
    if build is not preferred:
        notes.append(
            f"Your NVIDIA driver {gpu.driver} is older than {min_driver(preferred, platform)}, "
            f"the oldest that runs torch {TORCH_VERSION} for CUDA {preferred.cuda}. "
            "Updating the driver (from NVIDIA's website or your system's driver tool) is "
            "recommended."
        )
    if build is None:
        oldest = CUDA_BUILDS[-1]
        notes.append(
            f"No CUDA build of torch {TORCH_VERSION} runs on driver {gpu.driver} (the oldest, "
            f"CUDA {oldest.cuda}, needs {min_driver(oldest, platform)}), so torch would run on "
            "the CPU only. After updating the driver, run: python setup_env.py --engine chatterbox"
        )
        return TorchChoice("cpu"), notes
    if build is not preferred:
        notes.append(f"Using the older CUDA {build.cuda} build ({build.variant}) meanwhile.")
    return TorchChoice(build.variant, build.cuda, min_driver(build, platform)), notes

"""Stand-ins and runners for setup_env.py's tests: nvidia-smi, a venv python that answers the
probe, model files with their manifest, a /health server, setup_env.py run as a user would (plan,
check, fetch), and a copy of the working tree for the real install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from backend.core.models import CANGJIE_FILE, MODELS, MULTILINGUAL, PKUSEG_DIR, PKUSEG_MODEL
from studio_setup import environment, plan
from studio_setup.model_files import CANGJIE_CACHE

ROOT = Path(__file__).resolve().parents[2]
VENV_PY = ".venv_chatterbox/bin/python"
RTX_3050 = "NVIDIA GeForce RTX 3050, 551.86, 6144"
PACKAGES = {
    "chatterbox-studio": "0.1.0",
    "piper-tts": "1.3.0",
    "streamlit": "1.67.0",
    "pytest": None,
    "torch": "2.6.0+cu124",
    "torchaudio": "2.6.0+cu124",
    "chatterbox-tts": "0.1.7",
    "huggingface-hub": "1.33.0",
}
MODEL_SIZES = {
    "ve.safetensors": 64,
    "t3_cfg.safetensors": 256,
    "s3gen.safetensors": 128,
    "tokenizer.json": 16,
    "conds.pt": 32,
}


def fake_nvidia_smi(bin_dir: Path, line: str = RTX_3050) -> Path:
    """A folder for PATH whose nvidia-smi prints `line` (name, driver, VRAM in MiB)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\necho '{line}'\n")
    smi.chmod(0o755)
    return bin_dir


def project(tmp_path: Path) -> Path:
    """An empty project folder: just pyproject.toml, which the plan reads."""
    folder = tmp_path / "project"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def probe_answer(cuda: str | None = "12.4", available: bool = True, **packages: str | None) -> dict:
    """What the doctor's probe prints for a venv with the Chatterbox tier (override packages)."""
    names = {**PACKAGES, **{k.replace("_", "-"): v for k, v in packages.items()}}
    torch_version = names["torch"]
    answer: dict = {
        "python": "3.11.7",
        "executable": "fake",
        "packages": names,
        "imports": {"backend.main": None, "piper": None, "streamlit": None, "torch": None},
    }
    if names.get("chatterbox-tts"):
        answer["imports"]["chatterbox"] = None
    if torch_version:
        answer["torch"] = {
            "version": torch_version,
            "cuda": cuda,
            "cuda_available": available,
            "device": "NVIDIA GeForce RTX 3050" if available else None,
        }
    return answer


def fake_venv(project_dir: Path, answer: dict, real_modules: bool = False) -> Path:
    """A .venv_chatterbox whose python answers the probe (`python -c ...`) with `answer`.
    With real_modules, anything else it is asked runs on the test's own python (which has
    huggingface_hub), so `python -m studio_setup.fetch_model` really runs."""
    python = project_dir / ".venv_chatterbox" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    probe = f"printf '%s\\n' '{json.dumps(answer)}'"
    if real_modules:
        probe = f'if [ "$1" = "-c" ]; then {probe}; exit 0; fi\nexec "{sys.executable}" "$@"'
    python.write_text(f"#!/bin/sh\n{probe}\n")
    python.chmod(0o755)
    return python


def write_model(project_dir: Path, key: str, manifest: bool = True, segmenter: bool = True) -> Path:
    """`key`'s files (tiny: 1 KB each, the optional ones too) in model_cache/<key>/, with the
    manifest fetch_model writes; Multilingual's Cangjie table also where chatterbox-tts looks,
    and (unless `segmenter` is False) its word segmenter as spacy_pkuseg's download leaves it."""
    folder = project_dir / "model_cache" / key
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {name: 1024 for name in MODELS[key].all_files}
    for name, size in sizes.items():
        (folder / name).write_bytes(b"m" * size)
    if manifest:
        (folder / "manifest.json").write_text(json.dumps({"files": sizes, "commit": "c0ffee"}))
    if CANGJIE_FILE in sizes:
        snapshot = folder / CANGJIE_CACHE / "snapshots" / "c0ffee" / CANGJIE_FILE
        snapshot.parent.mkdir(parents=True)
        snapshot.write_bytes((folder / CANGJIE_FILE).read_bytes())
        (folder / CANGJIE_CACHE / "refs").mkdir()
        (folder / CANGJIE_CACHE / "refs" / "main").write_text("c0ffee")
    if key == MULTILINGUAL.key and segmenter:
        write_segmenter(folder / PKUSEG_DIR)
    return folder


def write_segmenter(home: Path) -> None:
    """What spacy_pkuseg's download leaves in its home: the archive and the model unpacked."""
    (home / PKUSEG_MODEL).mkdir(parents=True, exist_ok=True)
    (home / PKUSEG_MODEL / "weights.npz").write_bytes(b"w" * 64)
    (home / f"{PKUSEG_MODEL}.zip").write_bytes(b"PK")


def write_model_files(project_dir: Path, manifest: bool = True) -> Path:
    """The original's five files (tiny) at the top of model_cache/ (the layout of earlier
    versions), with the manifest fetch_model writes."""
    dest = project_dir / "model_cache"
    dest.mkdir(exist_ok=True)
    for name, size in MODEL_SIZES.items():
        (dest / name).write_bytes(b"x" * size)
    if manifest:
        (dest / "manifest.json").write_text(json.dumps({"files": MODEL_SIZES}))
    return dest


def installed(tmp_path: Path, answer: dict | None = None, stamped: bool = False) -> Path:
    """A project whose venv answers `answer` (default: the whole GPU tier), with model files."""
    folder = project(tmp_path)
    fake_venv(folder, answer or probe_answer())
    if stamped:
        stamp_complete_chatterbox_install(folder)
    write_model_files(folder)
    return folder


def clean_env(path: Path | None, **extra: str) -> dict[str, str]:
    """The test's environment without CHATTERBOX_*/HF_* settings; PATH only `path` (no GPU when
    it holds no nvidia-smi); hub access off unless `extra` says otherwise."""
    dropped = ("CHATTERBOX_", "HF_", "TRANSFORMERS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.pop("PORT", None)
    env["PATH"] = str(path) if path else str(Path(sys.executable).parent)
    env["HF_HUB_OFFLINE"] = "1"
    env["CHATTERBOX_URL"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    env.update(extra)
    return env


def gpu_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """clean_env with an RTX 3050 on PATH."""
    return clean_env(fake_nvidia_smi(tmp_path / "bin"), **extra)


def run_setup_env(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -S setup_env.py ...`: standard library only, as on a fresh machine."""
    return subprocess.run(
        [sys.executable, "-S", str((cwd or ROOT) / "setup_env.py"), *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def health_server(status: int, body: dict) -> Iterator[str]:
    """A server whose GET /health answers `status` with `body`; yields its URL."""
    payload = json.dumps(body).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(status if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def plan_for(
    tmp_path: Path, *args: str, gpu: str | None = None, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`setup_env.py --plan` for a fresh project, with nvidia-smi printing `gpu` (None: no GPU)."""
    folder = project(tmp_path)
    path = fake_nvidia_smi(tmp_path / "bin", gpu) if gpu else None
    done = run_setup_env("--plan", "--project-dir", str(folder), *args, env=clean_env(path, **env))
    return done, folder


def commands(output: str) -> list[str]:
    """The command lines of the steps still to do, in order."""
    lines = output.split("Steps:")[1].split("Notes:")[0].splitlines()
    return [line.strip() for line in lines if line.startswith("       ")]


def stamp_complete_chatterbox_install(folder: Path) -> None:
    """The stamp setup_env.py leaves after installing the project and the Chatterbox extra."""
    steps = {
        "project": [VENV_PY, "-m", "pip", "install", "-e", ".[ui]"],
        "engine": [VENV_PY, "-m", "pip", "install", "-e", ".[chatterbox]"],
    }
    keys = {step: environment.step_key(folder, plan.render(args)) for step, args in steps.items()}
    stamp = {"engine": "chatterbox", "cpu": False, "steps": keys}
    environment.write_stamp(folder / ".venv_chatterbox", stamp)


def check(folder: Path, gpu_dir: Path | None, **env: str) -> subprocess.CompletedProcess[str]:
    """`setup_env.py --check` on `folder`; PATH holds only `gpu_dir`, with an RTX 3050 in it."""
    path = fake_nvidia_smi(gpu_dir) if gpu_dir else None
    return run_setup_env("--check", "--project-dir", str(folder), env=clean_env(path, **env))


def fetch(
    dest: Path, hub_url: str, tmp_path: Path, *models: str, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """fetch_model on the test's python (it has huggingface_hub) against the hub at `hub_url`,
    for `models` (none: its default, the original); hub access on unless `env_extra` says."""
    env = clean_env(None, HF_ENDPOINT=hub_url, HF_HOME=str(tmp_path / "hf-home"))
    env.pop("HF_HUB_OFFLINE")
    env.update(env_extra)
    args = [sys.executable, "-m", "studio_setup.fetch_model", "--dest", str(dest)]
    args += ["--model", *models] if models else []
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def setup_with_fake_hub(tmp_path: Path, hub_url: str) -> tuple[Path, dict[str, str]]:
    """A complete Chatterbox install but for the model files; its venv python runs real modules."""
    folder = project(tmp_path)
    fake_venv(folder, probe_answer(), real_modules=True)
    stamp_complete_chatterbox_install(folder)
    env = clean_env(fake_nvidia_smi(tmp_path / "bin"), HF_ENDPOINT=hub_url, PYTHONPATH=str(ROOT))
    env.pop("HF_HUB_OFFLINE")
    env["HF_HOME"] = str(tmp_path / "hf-home")
    return folder, env


def copy_working_tree(dest: Path) -> Path:
    """The project as a fresh clone would have it, plus the files not committed yet."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest

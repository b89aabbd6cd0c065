"""The card's memory through nvidia-smi (a stand-in shell script on PATH: no GPU in CI), and
CUDA_VISIBLE_DEVICES mapping the engine's device onto nvidia-smi's physical index."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from backend.core import gpu


def fake_tool(folder: Path, body: str) -> None:
    """An `nvidia-smi` that logs its arguments to args.txt and runs `body` (POSIX shell)."""
    tool = folder / "nvidia-smi"
    tool.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args.txt"\n{body}\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def on_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return tmp_path


def test_the_cards_memory_in_use_comes_from_nvidia_smi_in_bytes(on_path):
    fake_tool(on_path, "echo 1536")

    assert gpu.device_used("cuda") == 1536 * 1024 * 1024
    assert "--id=0" in (on_path / "args.txt").read_text()


def test_cuda_visible_devices_maps_the_engines_device_to_the_physical_card(on_path, monkeypatch):
    fake_tool(on_path, "echo 10")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")

    gpu.device_used("cuda:1")

    assert "--id=3" in (on_path / "args.txt").read_text()


def test_a_tool_that_fails_or_answers_nonsense_gives_no_figure(on_path):
    fake_tool(on_path, "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    assert gpu.device_used("cuda") is None
    fake_tool(on_path, "echo '[N/A]'")
    assert gpu.device_used("cuda") is None


def test_no_tool_no_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing here

    assert gpu.device_used("cuda") is None


@pytest.mark.parametrize(
    ("device", "visible", "index"),
    [
        ("cuda", "", 0),
        ("cuda:1", "", 1),
        ("cuda:0", "3", 3),
        ("cuda:1", "0,2", 2),
        ("cuda:2", "1", 2),
    ],
)
def test_physical_index(device, visible, index):
    assert gpu.physical_index(device, visible) == index

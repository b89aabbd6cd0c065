"""The layer rules: the import contracts in pyproject.toml ([tool.importlinter]) hold, and no
backend module imports torch or chatterbox when it is itself imported."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
}
# Libraries that only the engine code may load, and only when a model is loaded (inside a function):
# importing any backend module must never pull them in.
HEAVY = {"torch", "torchaudio", "chatterbox"}
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_the_layer_rules_are_written_as_contracts() -> None:
    assert {"layers", "torch-only-in-engines", "studio-over-http"} <= CONTRACTS.keys()


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_the_import_contract_is_kept(contract: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--contract", contract],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"contract {contract!r} ({CONTRACTS[contract]}) broken:\n{report}"
    assert "1 kept, 0 broken" in report, report


def _module_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, top-level package) of each import that runs when the module is imported: the
    module body and the bodies of its classes, ifs, trys and withs, but not functions, and not
    `if TYPE_CHECKING:` blocks."""
    found: list[tuple[int, str]] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.partition(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
        elif isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            pending += node.orelse
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending += getattr(node, field, [])
    return found


def test_no_backend_module_imports_torch_or_chatterbox_when_it_is_imported() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "backend").rglob("*.py"))
        for line, name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name in HEAVY
    ]
    assert offenders == []


def test_the_module_level_check_sees_imports_in_classes_and_try_blocks_but_not_functions() -> None:
    source = (
        "import os\n"
        "try:\n    import torch\nexcept ImportError:\n    import numpy\n"
        "class A:\n    from chatterbox import tts\n"
        "def f():\n    import torchaudio\n"
        "if TYPE_CHECKING:\n    import soxr\n"
    )
    names = sorted(name for _, name in _module_level_imports(ast.parse(source)))
    assert names == ["chatterbox", "numpy", "os", "torch"]

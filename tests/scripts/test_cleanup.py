"""cleanup.py on a fake project in a temporary folder, with its own Hugging Face cache, pip cache
and home: the report, dry runs, --yes, the --keep flags, answers on stdin, the running-server
guard, links that point out of the project, and folders it must never touch."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scripts.script_helpers import ROOT, free_port, http_stub, reply, run_script
from tests.scripts.script_helpers import torch_blocker as make_torch_blocker

KB = 1024
HF = "models--ResembleAI--chatterbox"
CHECKPOINT = (
    "home/.cache/chatterbox-studio/test-checkpoints/chatterbox-tts-0.1.7-seed0/t3_cfg.safetensors"
)
ITEMS = (
    "Python environment",
    "Chatterbox model (original)",
    "Hugging Face copy of Chatterbox",
    "Narration jobs",
    "pip download cache",
    "Test artifacts",
    "Chatterbox test tier",
    "Python and tool caches",
    "Your voice recordings",
)


def put(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@dataclass
class Tree:
    root: Path
    project: Path
    hub: Path
    pip: Path
    home: Path
    outside: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return run_script(
            "cleanup.py", "--project-dir", str(self.project), *args, stdin=stdin,
            env={**self.env, **env},
        )  # fmt: skip

    def files(self) -> dict[str, int]:
        """Every file and link under the temporary root, with its size (links not followed)."""
        found = {}
        for folder, dirs, names in os.walk(self.root):
            for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = Path(folder, name)
                found[path.relative_to(self.root).as_posix()] = path.lstat().st_size
        return found


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    project, hub, pip, home = (tmp_path / n for n in ("project", "hf-hub", "pip-cache", "home"))
    put(project / "backend" / "main.py", 50)
    put(project / ".venv_chatterbox" / "bin" / "python", 2 * KB)
    put(project / ".venv_chatterbox" / "lib" / "__pycache__" / "torch.pyc", 1 * KB)
    put(project / "model_cache" / "README.md", 100)
    put(project / "model_cache" / "t3_cfg.safetensors", 4 * KB)
    put(project / "model_cache" / "ve.safetensors", 1 * KB)
    put(project / "data" / "jobs" / "job1" / "scene-1.wav", 5 * KB)
    put(project / "data" / "jobs.db", 1 * KB)
    put(project / "data" / "jobs.db-wal", 1 * KB)
    put(project / "data" / "voices" / "v1" / "reference.wav", 8 * KB)
    put(project / "data" / "voices" / "v2" / "reference.wav", 8 * KB)
    put(project / "test-artifacts" / "screenshots" / "narrate.png", 3 * KB)
    put(project / ".venv_real_chatterbox" / "bin" / "python", 2 * KB)
    put(project / "backend" / "__pycache__" / "main.cpython-311.pyc", 1 * KB)
    put(project / ".pytest_cache" / "v" / "lastfailed", 512)
    put(project / ".ruff_cache" / "content", 512)
    blob = put(hub / HF / "blobs" / "abc123", 7 * KB)
    snapshot = hub / HF / "snapshots" / "main" / "t3_cfg.safetensors"
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))  # as huggingface_hub lays it out
    put(hub / ".locks" / HF / "abc123.lock", 0)
    put(hub / "models--someone--other" / "blobs" / "def", 6 * KB)
    put(pip / "http-v2" / "a" / "b", 3 * KB)
    put(pip / "wheels" / "c.whl", 1 * KB)
    put(pip / "my-notes.txt", 10)
    put(home / "important.txt", 10)
    put(tmp_path / CHECKPOINT, 3 * KB)  # studio_tools/make_test_checkpoint.py's cache
    outside = put(tmp_path / "outside" / "precious.bin", 2 * KB).parent
    env = {
        "HOME": str(home),
        "USERPROFILE": str(home),
        "HF_HUB_CACHE": str(hub),
        "PIP_CACHE_DIR": str(pip),
        "CHATTERBOX_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens
    }
    return Tree(tmp_path, project, hub, pip, home, outside, env)


def report(stdout: str) -> dict[str, str]:
    """Item label -> the size the report shows."""
    pattern = re.compile(r"^  (\S.*?)\s{2,}(-|\d+(?:\.\d)? [KMG]?B)\s{3}\S", re.MULTILINE)
    return {label: size for label, size in pattern.findall(stdout)}


def test_the_report_shows_every_item_with_its_size_and_a_dry_run_removes_nothing(tree: Tree):
    before = tree.files()

    result = tree.run("--dry-run")

    assert result.returncode == 0, result.stderr
    assert (
        report(result.stdout)
        == {
            "Python environment": "3.0 KB",
            "Chatterbox model (original)": "5.0 KB",  # the original, at the top of the cache (earlier layout)
            "Chatterbox Turbo model (turbo)": "-",
            "Chatterbox Multilingual model (multilingual)": "-",
            "Other files in the model cache": "-",
            "Hugging Face copy of Chatterbox": "7.0 KB",
            "Narration jobs": "7.0 KB",
            "pip download cache": "4.0 KB",
            "Test artifacts": "3.0 KB",
            "Chatterbox test tier": "5.0 KB",
            "Python and tool caches": "2.0 KB",
            "Your voice recordings": "16.0 KB",
        }
    )
    assert "data/voices, 2 voices" in result.stdout
    assert "Removable: 36.0 KB (your voice recordings not counted)." in result.stdout
    assert "Dry run: nothing was removed." in result.stdout
    assert tree.files() == before


def test_yes_removes_the_defaults_but_keeps_voices_the_model_readme_and_other_files(tree: Tree):
    result = tree.run("--yes")

    assert result.returncode == 0, result.stderr
    left = tree.files()
    assert sorted(p for p in left if p.startswith("project/")) == [
        "project/backend/main.py",
        "project/data/voices/v1/reference.wav",
        "project/data/voices/v2/reference.wav",
        "project/model_cache/README.md",
    ]
    assert [p for p in left if p.startswith("hf-hub/")] == [
        "hf-hub/models--someone--other/blobs/def"
    ]
    assert [p for p in left if p.startswith("pip-cache/")] == ["pip-cache/my-notes.txt"]
    assert "home/important.txt" in left
    assert CHECKPOINT not in left
    assert "outside/precious.bin" in left
    for label in ITEMS[:-1]:
        assert f"  {label}: removed (" in result.stdout
    assert "Your voice recordings: removed" not in result.stdout
    assert "Reclaimed 36.0 KB." in result.stdout


def test_include_voices_with_yes_removes_the_recordings_too(tree: Tree):
    result = tree.run("--yes", "--include-voices")

    assert result.returncode == 0, result.stderr
    assert not (tree.project / "data" / "voices").exists()
    assert "Reclaimed 52.0 KB." in result.stdout


def test_keep_models_and_keep_jobs_leave_those_items_alone(tree: Tree):
    result = tree.run("--yes", "--keep-models", "--keep-jobs")

    assert result.returncode == 0, result.stderr
    assert (tree.project / "model_cache" / "t3_cfg.safetensors").exists()
    assert (tree.hub / HF / "blobs" / "abc123").exists()
    assert (tree.project / "data" / "jobs" / "job1" / "scene-1.wav").exists()
    assert (tree.project / "data" / "jobs.db").exists()
    assert not (tree.project / ".venv_chatterbox").exists()
    assert result.stdout.count("kept (--keep-models)") == 2
    assert "kept (--keep-jobs)" in result.stdout
    assert "Reclaimed 17.0 KB." in result.stdout


def test_each_item_is_asked_for_and_only_a_yes_removes_it(tree: Tree):
    # Order: venv, model files, HF copy, jobs, pip, test artifacts, test tier, caches, voices.
    result = tree.run(stdin="y\nn\nyes\n\nN\ny\nn\nn\ny\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[y/N]") == 9
    assert (
        "Your voice recordings (16.0 KB, data/voices, 2 voices): remove? This cannot be undone."
        in result.stdout
    )
    assert not (tree.project / ".venv_chatterbox").exists()
    assert (tree.project / "model_cache" / "t3_cfg.safetensors").exists()
    assert not (tree.hub / HF).exists()
    assert (tree.project / "data" / "jobs.db").exists()
    assert (tree.pip / "wheels" / "c.whl").exists()
    assert not (tree.project / "test-artifacts").exists()
    assert (tree.project / ".venv_real_chatterbox").exists()
    assert (tree.project / "backend" / "__pycache__").exists()
    assert not (tree.project / "data" / "voices").exists()
    assert "Reclaimed 29.0 KB." in result.stdout


def test_end_of_input_counts_as_no_for_everything_left(tree: Tree):
    before = tree.files()

    result = tree.run(stdin="y\n")  # yes to the venv, then EOF

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[y/N]") == 2
    assert not (tree.project / ".venv_chatterbox").exists()
    assert {k: v for k, v in before.items() if ".venv_chatterbox" not in k} == tree.files()
    assert "Reclaimed 3.0 KB." in result.stdout


@pytest.mark.parametrize("status", [200, 503])
def test_it_refuses_while_the_server_answers_unless_forced(tree: Tree, status: int):
    before = tree.files()
    with http_stub(reply(status, b'{"status": "healthy"}')) as url:
        refused = tree.run("--yes", CHATTERBOX_URL=url)
        assert tree.files() == before
        forced = tree.run("--yes", "--force", CHATTERBOX_URL=url)

    assert refused.returncode == 1
    assert f"The server is running at {url} (it answered /health)" in refused.stderr
    assert "press Ctrl+C in its start window" in refused.stderr
    assert "--force" in refused.stderr
    assert "Python environment" in refused.stdout  # the report still comes first
    assert forced.returncode == 0, forced.stderr
    assert not (tree.project / ".venv_chatterbox").exists()


def test_the_server_is_looked_for_on_the_port_in_the_projects_env_file(tree: Tree):
    with http_stub(reply(404, b"")) as url:
        (tree.project / ".env").write_text(f"CHATTERBOX_PORT={url.rsplit(':', 1)[1]}\n")
        env = {k: v for k, v in tree.env.items() if k != "CHATTERBOX_URL"}
        result = run_script("cleanup.py", "--project-dir", str(tree.project), "--yes", env=env)

    assert result.returncode == 1
    assert f"The server is running at {url}" in result.stderr


def test_a_server_address_without_http_stops_it_before_any_removal(tree: Tree):
    before = tree.files()

    result = tree.run("--yes", CHATTERBOX_URL="localhost:8000")

    assert result.returncode == 2
    assert "CHATTERBOX_URL must start with http://" in result.stderr
    assert tree.files() == before


def test_a_link_inside_an_item_goes_as_a_link_and_its_target_survives(tree: Tree):
    precious = tree.outside / "precious.bin"
    (tree.project / "model_cache" / "s3gen.safetensors").symlink_to(precious)
    (tree.project / "test-artifacts" / "elsewhere").symlink_to(tree.outside)

    result = tree.run("--yes")

    assert result.returncode == 0, result.stderr
    assert not os.path.lexists(tree.project / "model_cache" / "s3gen.safetensors")
    assert not os.path.lexists(tree.project / "test-artifacts")
    assert precious.read_bytes() == b"x" * 2 * KB


def test_a_linked_model_cache_is_reported_and_left_alone(tree: Tree):
    models = tree.project / "model_cache"
    real = tree.outside / "models"
    models.rename(real)
    models.symlink_to(real, target_is_directory=True)

    result = tree.run("--yes")

    assert result.returncode == 0, result.stderr
    assert f"skipped: {models} is a link to {real}: left alone" in result.stdout
    assert models.is_symlink()
    assert sorted(p.name for p in real.iterdir()) == [
        "README.md",
        "t3_cfg.safetensors",
        "ve.safetensors",
    ]


def test_configured_model_and_data_folders_are_honoured(tree: Tree):
    models = tree.root / "big-disk" / "chatterbox-models"
    put(models / "README.md", 10)
    put(models / "t3_cfg.safetensors", 9 * KB)
    put(models / "holiday.jpg", 1 * KB)  # outside the project only the model's own files go
    put(tree.project / "store" / "jobs.db", 2 * KB)
    (tree.project / ".env").write_text("CHATTERBOX_DATA_DIR=store\n")

    result = tree.run("--yes", CHATTERBOX_MODEL_CACHE_DIR=str(models))

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in models.iterdir()) == ["README.md", "holiday.jpg"]
    assert not (tree.project / "store" / "jobs.db").exists()
    assert (tree.project / "data" / "jobs.db").exists()  # not the configured data folder


def test_cache_folders_that_hold_the_project_or_home_are_never_emptied(tree: Tree):
    put(tree.home / "wheels" / "mine.whl", 10)
    put(tree.root / "t3_cfg.safetensors", 10)
    before = tree.files()

    result = tree.run(
        "--yes", CHATTERBOX_MODEL_CACHE_DIR=str(tree.root), PIP_CACHE_DIR=str(tree.home)
    )

    assert result.returncode == 0, result.stderr
    left = tree.files()
    assert "home/wheels/mine.whl" in left
    assert "t3_cfg.safetensors" in left
    assert "outside/precious.bin" in left
    gone = sorted(path for path in before if path not in left and not path.startswith("project/"))
    assert gone == [
        f"hf-hub/.locks/{HF}/abc123.lock",
        f"hf-hub/{HF}/blobs/abc123",
        f"hf-hub/{HF}/snapshots/main/t3_cfg.safetensors",
        CHECKPOINT,
    ]
    assert "project/backend/main.py" in left
    assert result.stdout.count("skipped: not safely inside the project or its caches") == 2


def test_home_is_never_taken_for_a_project(tree: Tree):
    result = run_script("cleanup.py", "--project-dir", str(tree.home), "--yes", env=tree.env)

    assert result.returncode == 2
    assert "is not a project folder" in result.stderr
    assert (tree.home / "important.txt").exists()


def test_it_needs_only_the_standard_library_and_never_imports_torch(tree: Tree):
    source = (ROOT / "cleanup.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+torch\b", source, re.MULTILINE)
    blocker = make_torch_blocker(tree.root / "blocker")

    # run_script uses `python -S`: no site-packages; torch.py on PYTHONPATH raises if imported.
    result = tree.run("--dry-run", PYTHONPATH=str(blocker), PYTHONPROFILEIMPORTTIME="1")

    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "urllib.request" in imported
    assert not [name for name in imported if name.split(".")[0] == "torch"]


def add_family(tree: Tree) -> Path:
    """Turbo and Multilingual in their own folders beside the original at the top (the fixture's
    earlier layout), and a file of the user's in the cache."""
    cache = tree.project / "model_cache"
    put(cache / "turbo" / "t3_turbo_v1.safetensors", 6 * KB)
    put(cache / "turbo" / "manifest.json", 1 * KB)
    put(cache / "multilingual" / "t3_mtl23ls_v2.safetensors", 9 * KB)
    put(cache / "multilingual" / "models--ResembleAI--chatterbox" / "refs" / "main", 1 * KB)
    put(cache / "notes.txt", 1 * KB)
    return cache


def test_the_report_shows_each_models_size_and_what_else_the_cache_holds(tree: Tree):
    add_family(tree)

    result = tree.run("--dry-run")

    sizes = report(result.stdout)
    assert (
        sizes["Chatterbox model (original)"],
        sizes["Chatterbox Turbo model (turbo)"],
        sizes["Chatterbox Multilingual model (multilingual)"],
        sizes["Other files in the model cache"],
    ) == ("5.0 KB", "7.0 KB", "10.0 KB", "1.0 KB")
    assert "2 of its files at the top of model_cache" in result.stdout
    assert "setup_env.py --model turbo fetches it again" in result.stdout


def test_remove_model_turbo_removes_its_folder_only(tree: Tree):
    cache = add_family(tree)
    before = tree.files()

    result = tree.run("--remove-model", "turbo", "--yes")

    assert result.returncode == 0, result.stderr
    gone = sorted(set(before) - set(tree.files()))
    assert gone == [
        "project/model_cache/turbo/manifest.json",
        "project/model_cache/turbo/t3_turbo_v1.safetensors",
    ]
    assert not (cache / "turbo").exists()
    assert "  Chatterbox Turbo model (turbo): removed (7.0 KB)." in result.stdout
    assert "Reclaimed 7.0 KB." in result.stdout


def test_removing_the_original_at_the_top_takes_only_its_own_files(tree: Tree):
    cache = add_family(tree)
    put(cache / ".partial" / "s3gen.safetensors.part", 2 * KB)
    put(cache / "manifest.json", 100)
    before = tree.files()

    result = tree.run("--remove-model", "original", "--yes")

    assert result.returncode == 0, result.stderr
    gone = sorted(set(before) - set(tree.files()))
    assert gone == [
        "project/model_cache/.partial/s3gen.safetensors.part",
        "project/model_cache/manifest.json",
        "project/model_cache/t3_cfg.safetensors",
        "project/model_cache/ve.safetensors",
    ]
    assert sorted(p.name for p in cache.iterdir()) == [
        "README.md",
        "multilingual",
        "notes.txt",
        "turbo",
    ]


def test_remove_model_asks_first_and_only_a_yes_removes_it(tree: Tree):
    cache = add_family(tree)

    kept = tree.run("--remove-model", "multilingual", stdin="n\n")
    ended = tree.run("--remove-model", "multilingual")  # no answer at all
    removed = tree.run("--remove-model", "multilingual", "--remove-model", "turbo", stdin="y\ny\n")

    assert kept.stdout.count("[y/N]") == 1
    assert (
        "Chatterbox Multilingual model (multilingual) (10.0 KB, model_cache/multilingual): remove?"
        in (kept.stdout)
    )
    assert "Reclaimed 0 B." in kept.stdout and "Reclaimed 0 B." in ended.stdout
    assert removed.stdout.count("[y/N]") == 2
    assert sorted(p.name for p in cache.iterdir()) == [
        "README.md",
        "notes.txt",
        "t3_cfg.safetensors",
        "ve.safetensors",
    ]


def test_remove_model_with_a_dry_run_shows_the_report_and_removes_nothing(tree: Tree):
    add_family(tree)
    before = tree.files()

    result = tree.run("--remove-model", "turbo", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "Chatterbox Turbo model (turbo)" in result.stdout
    assert "Dry run: nothing was removed." in result.stdout
    assert tree.files() == before


def test_remove_model_of_a_model_not_there_says_so(tree: Tree):
    result = tree.run("--remove-model", "turbo", "--yes")

    assert result.returncode == 0, result.stderr
    assert "  Chatterbox Turbo model (turbo): not installed, nothing to remove." in result.stdout
    assert "Reclaimed 0 B." in result.stdout


def test_removing_the_model_env_names_warns_that_the_server_cannot_load_it(tree: Tree):
    add_family(tree)
    (tree.project / ".env").write_text("CHATTERBOX_MODEL=turbo\n")

    result = tree.run("--remove-model", "turbo", "--yes")

    assert result.returncode == 0, result.stderr
    assert "CHATTERBOX_MODEL=turbo names the model just removed" in result.stdout
    assert "Set CHATTERBOX_MODEL=auto in .env" in result.stdout


def test_remove_model_refuses_while_the_server_answers_and_with_keep_models(tree: Tree):
    cache = add_family(tree)
    with http_stub(reply(200, b"{}")) as url:
        refused = tree.run("--remove-model", "turbo", "--yes", CHATTERBOX_URL=url)
    contradiction = tree.run("--remove-model", "turbo", "--keep-models", "--yes")
    unknown = tree.run("--remove-model", "large", "--yes")

    assert refused.returncode == 1
    assert "The server is running" in refused.stderr
    assert contradiction.returncode == unknown.returncode == 2
    assert "--remove-model and --keep-models contradict each other" in contradiction.stderr
    assert "invalid choice: 'large'" in unknown.stderr
    assert (cache / "turbo" / "t3_turbo_v1.safetensors").exists()


def test_a_linked_model_folder_goes_as_a_link_and_its_target_stays(tree: Tree):
    real = tree.outside / "turbo-weights"
    put(real / "t3_turbo_v1.safetensors", 3 * KB)
    (tree.project / "model_cache" / "turbo").symlink_to(real, target_is_directory=True)

    result = tree.run("--remove-model", "turbo", "--yes")

    assert result.returncode == 0, result.stderr
    assert not os.path.lexists(tree.project / "model_cache" / "turbo")
    assert (real / "t3_turbo_v1.safetensors").stat().st_size == 3 * KB


def test_yes_without_remove_model_takes_every_model_and_the_rest_of_the_cache(tree: Tree):
    cache = add_family(tree)

    result = tree.run("--yes")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["README.md"]
    for label in (
        "Chatterbox model (original)",
        "Chatterbox Turbo model (turbo)",
        "Chatterbox Multilingual model (multilingual)",
    ):
        assert f"  {label}: removed (" in result.stdout
    assert "  Other files in the model cache: removed (1.0 KB)." in result.stdout

"""setup_env.py as a user runs it: the plan it makes for each machine, its refusals and exit codes,
the --check doctor, the resumable model download against a fake hub, and one real Piper install."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time

from studio_setup import exits
from studio_setup.model_files import model_files
from tests.scripts.setup_fake_hub import fake_hub, model_sizes
from tests.scripts.setup_fakes import (
    MODEL_SIZES,
    ROOT,
    RTX_3050,
    VENV_PY,
    check,
    clean_env,
    commands,
    copy_working_tree,
    fetch,
    gpu_env,
    health_server,
    installed,
    plan_for,
    probe_answer,
    project,
    run_setup_env,
    setup_with_fake_hub,
)

CU124 = "https://download.pytorch.org/whl/cu124"
TORCH_CU124 = f"{VENV_PY} -m pip install --no-cache-dir torch==2.6.0+cu124 torchaudio==2.6.0+cu124 --index-url {CU124}"


def test_linux_rtx_3050_plan_installs_cuda_torch_then_chatterbox_then_turbo(tmp_path):
    done, folder = plan_for(tmp_path, gpu=RTX_3050)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "NVIDIA GeForce RTX 3050: 6144 MiB VRAM, driver 551.86" in done.stdout
    assert "Chatterbox on the GPU (an NVIDIA GPU was found)" in done.stdout
    assert "needs NVIDIA driver 525.60.13 or newer (yours: 551.86)" in done.stdout
    assert commands(done.stdout) == [
        f"{sys.executable} -m venv .venv_chatterbox",
        f'{VENV_PY} -m pip install -e ".[ui]"',
        TORCH_CU124,
        f'{VENV_PY} -m pip install -e ".[chatterbox]"',
        f"{VENV_PY} -m studio_setup.fetch_model --model turbo --dest model_cache",
    ]
    assert (
        "Models   Chatterbox Turbo (turbo): the choice rule: Turbo on cards of 8 GiB or less; "
        "this one has 6144 MiB" in done.stdout
    )
    assert "Nothing was changed" in done.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["pyproject.toml"]


def test_windows_plan_uses_scripts_python_the_cuda_index_and_the_windows_driver_minimum(tmp_path):
    done, _ = plan_for(tmp_path, "--platform", "windows", gpu=RTX_3050)

    assert done.returncode == 0, done.stdout + done.stderr
    win_py = r".venv_chatterbox\Scripts\python.exe"
    assert commands(done.stdout)[1:] == [
        f'{win_py} -m pip install -e ".[ui]"',
        f"{win_py} -m pip install --no-cache-dir torch==2.6.0+cu124 torchaudio==2.6.0+cu124 --index-url {CU124}",
        f'{win_py} -m pip install -e ".[chatterbox]"',
        f"{win_py} -m studio_setup.fetch_model --model turbo --dest model_cache",
    ]
    assert "needs NVIDIA driver 528.33 or newer" in done.stdout
    assert "Windows" in done.stdout


def test_plan_without_a_gpu_installs_piper_and_says_how_to_add_chatterbox_and_its_cost(tmp_path):
    done, _ = plan_for(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no NVIDIA GPU found (nvidia-smi is not installed)" in done.stdout
    assert "Engine   Piper" in done.stdout
    assert commands(done.stdout) == [
        f"{sys.executable} -m venv .venv_chatterbox",
        f'{VENV_PY} -m pip install -e ".[ui]"',
    ]
    assert "To add Chatterbox: python setup_env.py --engine chatterbox" in done.stdout
    assert "many times slower than real time" in done.stdout


def test_plan_with_cpu_takes_the_cpu_torch_build_and_no_cuda_index_even_with_a_gpu(tmp_path):
    done, _ = plan_for(tmp_path, "--cpu", gpu=RTX_3050)

    assert done.returncode == 0, done.stdout + done.stderr
    cmds = commands(done.stdout)
    assert (
        f"{VENV_PY} -m pip install --no-cache-dir torch==2.6.0+cpu torchaudio==2.6.0+cpu "
        "--index-url https://download.pytorch.org/whl/cpu" in cmds
    )
    assert not any("cu12" in cmd or "cu11" in cmd for cmd in cmds)
    assert "Chatterbox on the CPU" in done.stdout
    assert "many times slower than real time" in done.stdout


def test_plan_with_engine_piper_on_a_gpu_machine_installs_no_torch_and_no_models(tmp_path):
    done, _ = plan_for(tmp_path, "--engine", "piper", gpu=RTX_3050)

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(commands(done.stdout)) == 2
    assert "torch" not in done.stdout.split("Steps:")[1].split("Notes:")[0]
    assert "Voice cloning (Chatterbox on your GPU) can be added with" in done.stdout


def test_a_driver_too_old_for_cuda_12_falls_back_to_the_cuda_11_8_build_and_says_why(tmp_path):
    done, _ = plan_for(tmp_path, gpu="NVIDIA GeForce GTX 1060, 470.82.01, 6144")

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"{VENV_PY} -m pip install --no-cache-dir torch==2.6.0+cu118 torchaudio==2.6.0+cu118 "
        "--index-url https://download.pytorch.org/whl/cu118" in commands(done.stdout)
    )
    assert "driver 470.82.01 is older than 525.60.13" in done.stdout
    assert "needs NVIDIA driver 450.80.02 or newer" in done.stdout


def test_a_driver_too_old_for_any_cuda_build_gets_piper_or_cpu_torch_and_update_advice(tmp_path):
    auto, _ = plan_for(tmp_path / "a", gpu="NVIDIA GeForce GTX 960, 418.56, 2048")
    forced, _ = plan_for(
        tmp_path / "b", "--engine", "chatterbox", gpu="NVIDIA GeForce GTX 960, 418.56, 2048"
    )

    assert auto.returncode == 0 and forced.returncode == 0
    assert "Piper (the NVIDIA driver is too old for CUDA torch)" in auto.stdout
    assert len(commands(auto.stdout)) == 2
    assert any("torch==2.6.0+cpu" in cmd for cmd in commands(forced.stdout))
    assert "No CUDA build of torch 2.6.0 runs on driver 418.56" in forced.stdout
    assert (
        "After updating the driver, run: python setup_env.py --engine chatterbox" in forced.stdout
    )


def test_not_enough_disk_space_stops_before_changing_anything_with_exit_code_5(tmp_path):
    folder = project(tmp_path)
    env = gpu_env(tmp_path, SETUP_ENV_FAKE_FREE_BYTES=str(2 * 1024**3))

    done = run_setup_env("--project-dir", str(folder), env=env)

    assert done.returncode == exits.NO_DISK_SPACE == 5, done.stdout + done.stderr
    assert "Not enough free disk space" in done.stdout
    assert "2.0 GB is free" in done.stdout
    assert "python setup_env.py --engine piper" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert not (folder / ".venv_chatterbox").exists()


def test_python_older_than_3_11_is_refused_with_exit_code_3_even_on_old_interpreters(tmp_path):
    done = run_setup_env(env=clean_env(None, SETUP_ENV_FAKE_PYTHON_VERSION="3.10.12"))

    assert done.returncode == exits.PYTHON_TOO_OLD == 3
    assert "Python 3.10.12 is too old: Chatterbox Studio needs Python 3.11 or newer" in done.stdout
    assert "python3.11 setup_env.py" in done.stdout
    assert "Traceback" not in done.stderr
    # An old interpreter must get as far as that message: no newer syntax in the file itself.
    ast.parse((ROOT / "setup_env.py").read_text(), feature_version=(3, 7))


def test_no_network_to_the_package_index_stops_with_exit_code_4_before_creating_the_venv(tmp_path):
    folder = project(tmp_path)
    env = clean_env(None, PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="http://127.0.0.1:9/simple")
    env.pop("PIP_FIND_LINKS", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)

    done = run_setup_env("--engine", "piper", "--project-dir", str(folder), env=env)

    assert done.returncode == exits.NO_NETWORK == 4, done.stdout + done.stderr
    assert "No network: the Python package index cannot be reached" in done.stdout
    assert "http://127.0.0.1:9/simple" in done.stdout
    assert not (folder / ".venv_chatterbox").exists()


def test_help_documents_every_flag_and_exit_code():
    done = run_setup_env("--help", env=clean_env(None))

    assert done.returncode == 0
    flags = ("--engine", "--cpu", "--dev", "--check", "--plan", "--dry-run", "--project-dir")
    assert [flag for flag in flags if flag not in done.stdout] == []
    assert [code for code in range(8) if f"\n  {code}  " not in done.stdout] == []


def test_dev_adds_the_dev_extra_with_piper_and_refuses_to_share_a_venv_with_chatterbox(tmp_path):
    dev, _ = plan_for(tmp_path / "a", "--dev", gpu=RTX_3050)
    refused, _ = plan_for(tmp_path / "b", "--dev", "--engine", "chatterbox")

    assert dev.returncode == 0, dev.stdout + dev.stderr
    assert commands(dev.stdout)[1:] == [f'{VENV_PY} -m pip install -e ".[ui,dev]"']
    assert "Piper (--dev: the test environment runs Piper" in dev.stdout
    assert refused.returncode == exits.USAGE
    assert "--dev cannot share an environment with Chatterbox" in refused.stdout


def test_a_second_run_on_a_complete_chatterbox_install_changes_nothing_and_says_so(tmp_path):
    folder = installed(tmp_path, stamped=True)

    done = run_setup_env("--project-dir", str(folder), env=gpu_env(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Nothing to change: everything is already set up." in done.stdout
    assert "[done: all 5 files complete (sizes match manifest.json)]" in done.stdout
    assert "Engine: Chatterbox on the GPU" in done.stdout


def test_a_cpu_torch_in_the_venv_of_a_gpu_machine_is_replaced_by_the_cuda_build(tmp_path):
    cpu_torch = probe_answer(cuda=None, torch="2.6.0+cpu", torchaudio="2.6.0+cpu")
    folder = installed(tmp_path, cpu_torch, stamped=True)

    done = run_setup_env("--plan", "--project-dir", str(folder), env=gpu_env(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert commands(done.stdout) == [TORCH_CU124]


def test_check_on_a_healthy_gpu_install_with_a_running_server_exits_0(tmp_path):
    folder = installed(tmp_path)
    health = {"status": "healthy", "engine": "chatterbox", "device": "cuda"}

    with health_server(200, health) as url:
        done = check(folder, tmp_path / "bin", CHATTERBOX_URL=url)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ok]   GPU: NVIDIA GeForce RTX 3050: 6144 MiB VRAM, driver 551.86" in done.stdout
    assert "[ok]   torch 2.6.0+cu124 uses the GPU (NVIDIA GeForce RTX 3050)" in done.stdout
    assert (
        "[ok]   Chatterbox (original): installed in model_cache (at the top of the cache: the "
        "earlier layout, which keeps working), all 5 files complete (" in done.stdout
    )
    assert "The server will pick Chatterbox (CHATTERBOX_MODEL=auto): the only model" in done.stdout
    assert f"[ok]   Server at {url}: chatterbox on cuda" in done.stdout
    assert "FAIL" not in done.stdout
    assert "All good." in done.stdout


def test_check_without_a_venv_fails_with_exit_code_7_and_prints_the_setup_command(tmp_path):
    folder = project(tmp_path)

    done = check(folder, None)

    assert done.returncode == exits.CHECK_FAILED == 7
    assert "[FAIL] No virtual environment .venv_chatterbox" in done.stdout
    assert "Fix: python setup_env.py" in done.stdout
    assert "[info] Server: not running at http://127.0.0.1:9" in done.stdout


def test_check_names_cpu_only_torch_on_an_nvidia_gpu_and_prints_the_cuda_reinstall(tmp_path):
    folder = installed(tmp_path, probe_answer(cuda=None, available=False, torch="2.6.0+cpu"))

    done = check(folder, tmp_path / "bin")

    assert done.returncode == exits.CHECK_FAILED, done.stdout + done.stderr
    assert "[FAIL] CPU-only torch on a machine with an NVIDIA GPU: torch 2.6.0+cpu" in done.stdout
    assert f"Fix: {TORCH_CU124}" in done.stdout
    assert "1 problem found" in done.stdout


def test_check_reports_model_files_whose_size_differs_from_the_manifest(tmp_path):
    folder = installed(tmp_path)
    (folder / "model_cache" / "t3_cfg.safetensors").write_bytes(b"x" * 100)

    done = check(folder, tmp_path / "bin")

    assert done.returncode == exits.CHECK_FAILED
    assert "t3_cfg.safetensors is 100 bytes, expected 256" in done.stdout
    assert "Fix: python setup_env.py --model original" in done.stdout


def test_check_fails_on_a_model_folder_of_random_test_weights(tmp_path):
    folder = installed(tmp_path)
    (folder / "model_cache" / "RANDOM_TEST_WEIGHTS.json").write_text("{}")

    done = check(folder, tmp_path / "bin")

    assert done.returncode == exits.CHECK_FAILED
    assert "are random test weights (made by studio_tools.make_test_checkpoint)" in done.stdout
    assert "Fix: Delete the files in" in done.stdout


def test_check_reports_a_server_that_is_not_set_up_with_the_servers_own_solution(tmp_path):
    folder = installed(tmp_path)
    message = "The Chatterbox libraries (chatterbox-tts, torch) are not installed."
    solution = "Run: python setup_env.py --engine chatterbox"
    body = {"error": "environment_not_setup", "message": message, "solution": solution}

    with health_server(503, body) as url:
        done = check(folder, tmp_path / "bin", CHATTERBOX_URL=url)

    assert done.returncode == exits.CHECK_FAILED
    assert f"[FAIL] Server at {url} is not ready: The Chatterbox libraries" in done.stdout
    assert "Fix: Run: python setup_env.py --engine chatterbox" in done.stdout


def test_the_model_file_names_are_the_engines_own():
    from backend.core.constants import MODEL_FILES

    assert model_files() == MODEL_FILES
    assert set(MODEL_SIZES) == set(model_sizes("original")) == set(MODEL_FILES)


def test_fetch_gets_every_file_at_the_hubs_size_writes_a_manifest_then_fetches_nothing(tmp_path):
    cache = tmp_path / "model_cache"
    dest = cache / "original"  # a fresh install: each model in its own folder
    with fake_hub() as hub:
        first = fetch(cache, hub.url, tmp_path)
        fetched = hub.gets()
        hub.requests.clear()
        second = fetch(cache, hub.url, tmp_path)

    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(name for name, _ in fetched) == sorted(model_sizes("original"))
    for name, data in hub.model_files("original").items():
        assert (dest / name).read_bytes() == data
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["files"] == model_sizes("original")
    assert manifest["repo"] == "ResembleAI/chatterbox"
    assert not (dest / ".partial").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["original"]
    assert second.returncode == 0
    assert "Nothing to download" in second.stdout
    assert hub.requests == []


def test_fetch_keeps_an_interrupted_download_and_resumes_it_on_the_next_run(tmp_path):
    cache = tmp_path / "model_cache"
    dest = cache / "original"
    with fake_hub() as hub:
        hub.drop_once("t3_cfg.safetensors", after=16_000_000)
        first = fetch(cache, hub.url, tmp_path)
        kept = (dest / ".partial" / "t3_cfg.safetensors.part").stat().st_size
        manifest_after_failure = (dest / "manifest.json").exists()
        hub.heal()
        hub.requests.clear()
        second = fetch(cache, hub.url, tmp_path)

    assert first.returncode == exits.DOWNLOAD_FAILED, first.stdout + first.stderr
    assert "The part already downloaded is kept: run again to resume." in first.stdout
    assert "Traceback" not in first.stdout + first.stderr
    assert 0 < kept < model_sizes("original")["t3_cfg.safetensors"]
    assert not manifest_after_failure
    assert second.returncode == 0, second.stdout + second.stderr
    assert ("t3_cfg.safetensors", f"bytes={kept}-") in hub.gets()
    assert ("ve.safetensors", "") not in hub.gets()  # finished in the first run
    assert (dest / "t3_cfg.safetensors").read_bytes() == hub.files["t3_cfg.safetensors"]
    assert json.loads((dest / "manifest.json").read_text())["files"] == model_sizes("original")


def test_fetch_reports_a_size_that_differs_from_the_hubs_listing_as_a_failed_download(tmp_path):
    dest = tmp_path / "model_cache" / "original"
    with fake_hub() as hub:
        hub.lie_about_size("s3gen.safetensors", 5)
        done = fetch(dest.parent, hub.url, tmp_path)

    assert done.returncode == exits.DOWNLOAD_FAILED == 6, done.stdout + done.stderr
    assert "s3gen.safetensors: got 120000 bytes but the hub lists 120005" in done.stdout
    assert not (dest / "s3gen.safetensors").exists()
    assert not (dest / "manifest.json").exists()


def test_fetch_without_a_reachable_hub_exits_with_the_no_network_code(tmp_path):
    done = fetch(tmp_path / "model_cache", "http://127.0.0.1:9", tmp_path)

    assert done.returncode == exits.NO_NETWORK, done.stdout + done.stderr
    assert "the hub cannot be reached" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_setup_fetches_the_cards_model_at_the_hubs_sizes_then_has_nothing_to_do(tmp_path):
    with fake_hub() as hub:
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        first = run_setup_env("--project-dir", str(folder), env=env)
        second = run_setup_env("--project-dir", str(folder), env=env)

    assert first.returncode == 0, first.stdout + first.stderr
    # An RTX 3050 (6 GB): Turbo, with the optional files its repo has.
    assert (
        "Chatterbox Turbo model files: 113 KB to download (from the hub's file list)."
        in first.stdout
    )
    assert "[done: already installed] Install the Chatterbox engine" in first.stdout
    assert "has no special_tokens_map.json, tokenizer.json (optional): skipped" in first.stdout
    assert "Done: Chatterbox Studio is set up." in first.stdout
    for name, data in hub.model_files("turbo").items():
        assert (folder / "model_cache" / "turbo" / name).read_bytes() == data
    assert sorted(p.name for p in (folder / "model_cache").iterdir()) == ["turbo"]
    assert not (folder / ".env").exists()  # auto: the server applies the same rule
    assert second.returncode == 0
    assert "Nothing to change: everything is already set up." in second.stdout


def test_setup_passes_a_failed_model_download_on_as_exit_code_6(tmp_path):
    with fake_hub() as hub:
        hub.lie_about_size("conds.pt", -3)
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        done = run_setup_env("--project-dir", str(folder), env=env)

    assert done.returncode == exits.DOWNLOAD_FAILED, done.stdout + done.stderr
    assert "conds.pt: got 950 bytes but the hub lists 947" in done.stdout
    assert "The model download did not finish" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_real_piper_setup_makes_a_working_venv_and_a_second_run_changes_nothing(tmp_path):
    clone = copy_working_tree(tmp_path / "clone")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATTERBOX_")}

    started = time.monotonic()
    first = run_setup_env("--engine", "piper", env=env, cwd=clone, timeout=540)
    first_seconds = time.monotonic() - started
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Done: Chatterbox Studio is set up." in first.stdout

    python = clone / ".venv_chatterbox" / "bin" / "python"
    code = "import backend.main, piper, streamlit; print(backend.main.__file__)"
    imported = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().startswith(str(clone))

    started = time.monotonic()
    second = run_setup_env("--engine", "piper", env=env, cwd=clone, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing to change: everything is already set up." in second.stdout
    # A ratio measured in this run, not a figure in seconds: checking is far cheaper than doing.
    assert time.monotonic() - started < first_seconds / 5

"""setup_env.py and the doctor with the Chatterbox family, run as a user runs them: --model,
each model into its own folder from a fake hub, the original left at the top of the cache,
CHATTERBOX_MODEL in .env, offline refusals, and --check's line for each model and its pick."""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import hf_hub_download

from backend.core.models import (
    CANGJIE_FILE,
    CHATTERBOX_REPO,
    MODELS,
    PKUSEG_DIR,
    TURBO,
    segmenter_present,
)
from studio_setup import exits
from studio_setup.machine import human
from studio_setup.model_files import disk_bytes, model_paths
from tests.scripts.setup_fake_hub import REPO, TURBO_REPO, fake_hub
from tests.scripts.setup_fakes import (
    RTX_3050,
    VENV_PY,
    clean_env,
    commands,
    fake_nvidia_smi,
    fake_venv,
    installed,
    plan_for,
    probe_answer,
    project,
    run_setup_env,
    setup_with_fake_hub,
    write_model,
    write_model_files,
)

RTX_4090 = "NVIDIA GeForce RTX 4090, 551.86, 24564"
FETCH = f"{VENV_PY} -m studio_setup.fetch_model"
FAKE_PKUSEG = Path(__file__).resolve().parents[1] / "fakes" / "spacy_pkuseg_pkg"


def check_on(folder: Path, tmp_path: Path, gpu: str = RTX_3050, **env: str):
    path = fake_nvidia_smi(tmp_path / "bin", gpu)
    return run_setup_env("--check", "--project-dir", str(folder), env=clean_env(path, **env))


def test_help_offers_exactly_the_familys_models_and_states_the_choice_rule():
    done = run_setup_env("--help", env=clean_env(None))

    assert done.returncode == 0
    assert "--model {auto," + ",".join(MODELS) + "}" in done.stdout
    assert "Turbo on the CPU and on cards of 8 GiB or less" in done.stdout


def test_a_24_gb_card_gets_the_original_in_its_own_folder(tmp_path):
    done, _ = plan_for(tmp_path, gpu=RTX_4090)

    assert done.returncode == 0, done.stdout + done.stderr
    assert commands(done.stdout)[-1] == f"{FETCH} --model original --dest model_cache"
    assert (
        "Download Chatterbox (original) from ResembleAI/chatterbox into model_cache/original"
        in done.stdout
    )
    assert "the original on cards over 8 GiB; this one has 24564 MiB" in done.stdout


def test_a_named_model_without_a_gpu_means_chatterbox_on_the_cpu_and_a_setting_step(tmp_path):
    done, _ = plan_for(tmp_path, "--model", "turbo")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Chatterbox on the CPU (--model turbo)" in done.stdout
    assert commands(done.stdout)[-1] == f"{FETCH} --model turbo --dest model_cache"
    assert "Set CHATTERBOX_MODEL=turbo in .env (the server loads it)" in done.stdout


def test_all_three_models_can_be_named_at_once(tmp_path):
    done, _ = plan_for(tmp_path, "--model", "original", "turbo", "multilingual", gpu=RTX_3050)

    assert done.returncode == 0, done.stdout + done.stderr
    assert commands(done.stdout)[-3:] == [
        f"{FETCH} --model {key} --dest model_cache" for key in ("original", "turbo", "multilingual")
    ]
    assert "CHATTERBOX_MODEL" not in done.stdout


def test_auto_with_named_models_and_piper_with_a_model_are_wrong_options(tmp_path):
    mixed, _ = plan_for(tmp_path / "a", "--model", "auto", "turbo")
    piper, _ = plan_for(tmp_path / "b", "--engine", "piper", "--model", "turbo")
    unknown, _ = plan_for(tmp_path / "c", "--model", "large")

    assert mixed.returncode == piper.returncode == unknown.returncode == exits.USAGE
    assert "--model auto cannot be combined with named models." in mixed.stdout
    assert "it does not go with --engine piper" in piper.stdout
    assert "invalid choice: 'large'" in unknown.stderr


def test_setup_with_multilingual_fetches_it_with_the_cangjie_table_and_writes_env(tmp_path):
    with fake_hub() as hub:
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        env["PYTHONPATH"] += os.pathsep + str(FAKE_PKUSEG)  # what chatterbox-tts brings
        first = run_setup_env("--project-dir", str(folder), "--model", "multilingual", env=env)
        second = run_setup_env("--project-dir", str(folder), "--model", "multilingual", env=env)

    assert first.returncode == 0, first.stdout + first.stderr
    dest = folder / "model_cache" / "multilingual"
    for name, data in hub.model_files("multilingual").items():
        assert (dest / name).read_bytes() == data
    assert (folder / ".env").read_text() == "CHATTERBOX_MODEL=multilingual\n"
    assert ".env now says CHATTERBOX_MODEL=multilingual." in first.stdout
    # Chinese offline: chatterbox-tts 0.1.7's own lookup (the tests run with HF_HUB_OFFLINE=1).
    found = hf_hub_download(repo_id=CHATTERBOX_REPO, filename=CANGJIE_FILE, cache_dir=dest)
    assert Path(found).read_bytes() == hub.model_files("multilingual")[CANGJIE_FILE]
    assert segmenter_present(dest / PKUSEG_DIR)  # the Chinese word segmenter, for offline loads
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing to change: everything is already set up." in second.stdout


def test_an_original_at_the_top_stays_untouched_while_turbo_goes_into_its_own_folder(tmp_path):
    with fake_hub() as hub:
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        top = write_model_files(folder)  # an earlier version's install
        before = {p.name: p.read_bytes() for p in top.iterdir()}
        (folder / ".env").write_text("CHATTERBOX_PORT=8123\nCHATTERBOX_MODEL=original\n")
        done = run_setup_env("--project-dir", str(folder), "--model", "turbo", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert hub.gets(REPO) == []  # nothing of the original fetched
    assert sorted(name for name, _ in hub.gets(TURBO_REPO)) == sorted(hub.model_files("turbo"))
    assert {p.name: p.read_bytes() for p in top.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in top.iterdir() if p.is_dir()) == ["turbo"]
    assert (folder / ".env").read_text() == "CHATTERBOX_PORT=8123\nCHATTERBOX_MODEL=turbo\n"


def test_several_models_each_go_into_their_folder_and_env_is_left_alone(tmp_path):
    with fake_hub() as hub:
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        done = run_setup_env("--project-dir", str(folder), "--model", "original", "turbo", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    cache = folder / "model_cache"
    assert sorted(p.name for p in cache.iterdir()) == ["original", "turbo"]
    for key in ("original", "turbo"):
        for name, data in hub.model_files(key).items():
            assert (cache / key / name).read_bytes() == data
    assert not (folder / ".env").exists()


def test_offline_setup_stops_before_downloading_and_names_the_files_to_copy(tmp_path):
    with fake_hub() as hub:
        folder, env = setup_with_fake_hub(tmp_path, hub.url)
        done = run_setup_env(
            "--project-dir", str(folder), "--model", "turbo", env={**env, "HF_HUB_OFFLINE": "1"}
        )

    assert done.returncode == exits.NO_NETWORK, done.stdout + done.stderr
    assert "HF_HUB_OFFLINE is set, so the model files cannot be downloaded." in done.stdout
    files = ", ".join(TURBO.files)
    assert (
        f"copy the files of Chatterbox Turbo ({files}) into {folder / 'model_cache' / 'turbo'}"
        in done.stdout
    )
    assert hub.requests == []
    assert not (folder / "model_cache").exists()
    assert not (folder / ".env").exists()  # the setting comes after the download
    assert "Traceback" not in done.stdout + done.stderr


def test_an_unreachable_hub_stops_setup_with_the_no_network_code(tmp_path):
    folder, env = setup_with_fake_hub(tmp_path, "http://127.0.0.1:9")

    done = run_setup_env("--project-dir", str(folder), "--model", "multilingual", env=env)

    assert done.returncode == exits.NO_NETWORK, done.stdout + done.stderr
    assert "No network: the model hub cannot be reached (cannot reach http://127.0.0.1:9" in (
        done.stdout
    )
    assert not (folder / "model_cache").exists()


def test_check_reports_each_model_its_size_and_the_servers_pick_on_a_small_card(tmp_path):
    folder = installed(tmp_path)  # the original at the top of the cache
    turbo = write_model(folder, "turbo")
    partial = write_model(folder, "multilingual")
    (partial / "s3gen.pt").unlink()
    cache = folder / "model_cache"

    done = check_on(folder, tmp_path)

    assert done.returncode == exits.CHECK_FAILED, done.stdout + done.stderr
    size = human(disk_bytes(model_paths(cache, "turbo")))
    assert size == human(10 * 1024 + (turbo / "manifest.json").stat().st_size)
    assert (
        f"[ok]   Chatterbox Turbo (turbo): installed in model_cache/turbo, all 10 files "
        f"complete ({size})" in done.stdout
    )
    assert "[ok]   Chatterbox (original): installed in model_cache (at the top" in done.stdout
    assert (
        "[FAIL] Chatterbox Multilingual (multilingual) is incomplete in model_cache/multilingual: "
        "missing s3gen.pt" in done.stdout
    )
    assert "Fix: python setup_env.py --model multilingual (downloads what is missing" in done.stdout
    assert (
        "[ok]   The server will pick Chatterbox Turbo (CHATTERBOX_MODEL=auto): the NVIDIA GeForce "
        "RTX 3050 has 6144 MiB (8 GiB or less), where Turbo comes first." in done.stdout
    )
    assert "1 problem found" in done.stdout


def test_check_on_a_large_card_picks_the_original_and_names_multilingual_for_other_languages(
    tmp_path,
):
    folder = installed(tmp_path)
    for key in ("turbo", "multilingual"):
        write_model(folder, key)

    done = check_on(folder, tmp_path, RTX_4090)

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "The server will pick Chatterbox (CHATTERBOX_MODEL=auto): the NVIDIA GeForce RTX 4090 has "
        "24564 MiB (over 8 GiB), where the original comes first. Text in another language goes "
        "to Chatterbox Multilingual." in done.stdout
    )


def test_check_says_when_the_cards_first_choice_is_not_installed(tmp_path):
    folder = project(tmp_path)
    fake_venv(folder, probe_answer())
    write_model(folder, "multilingual")
    write_model(folder, "original")

    done = check_on(folder, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "[info] Chatterbox Turbo (turbo): not installed (about 2.6 GB" in done.stdout
    assert (
        "The server will pick Chatterbox (CHATTERBOX_MODEL=auto): the NVIDIA GeForce RTX 3050 has "
        "6144 MiB (8 GiB or less), where Turbo comes first; Chatterbox Turbo is not installed."
        in done.stdout
    )


def test_check_on_cpu_torch_counts_the_server_as_on_the_cpu(tmp_path):
    folder = project(tmp_path)
    fake_venv(folder, probe_answer(cuda=None, available=False, torch="2.6.0+cpu"))
    write_model(folder, "original")
    write_model(folder, "turbo")

    done = run_setup_env("--check", "--project-dir", str(folder), env=clean_env(None))

    assert "the server runs on the CPU, where Turbo comes first." in done.stdout
    assert "will pick Chatterbox Turbo" in done.stdout


def test_check_fails_on_a_model_of_random_test_weights_and_names_its_removal(tmp_path):
    folder = installed(tmp_path)
    turbo = write_model(folder, "turbo")
    (turbo / "RANDOM_TEST_WEIGHTS.json").write_text("{}")

    done = check_on(folder, tmp_path)

    assert done.returncode == exits.CHECK_FAILED
    assert "[FAIL] The Chatterbox Turbo (turbo) files in" in done.stdout
    assert "are random test weights (made by studio_tools.make_test_checkpoint)" in done.stdout
    assert (
        "python cleanup.py --remove-model turbo), then run: python setup_env.py --model turbo"
        in done.stdout
    )
    assert "[ok]   Chatterbox (original)" in done.stdout


def test_check_fails_when_env_names_a_model_that_is_not_installed(tmp_path):
    folder = installed(tmp_path)
    (folder / ".env").write_text("CHATTERBOX_MODEL=multilingual\n")

    missing = check_on(folder, tmp_path)
    write_model(folder, "multilingual")
    there = check_on(folder, tmp_path)
    wrong = check_on(folder, tmp_path, CHATTERBOX_MODEL="large")

    assert missing.returncode == exits.CHECK_FAILED
    assert (
        "[FAIL] CHATTERBOX_MODEL=multilingual, but Chatterbox Multilingual is not installed"
        in missing.stdout
    )
    assert "Fix: python setup_env.py --model multilingual" in missing.stdout
    assert there.returncode == 0, there.stdout
    assert (
        "[ok]   The server will load Chatterbox Multilingual (CHATTERBOX_MODEL=multilingual)"
        in there.stdout
    )
    assert wrong.returncode == exits.CHECK_FAILED
    assert (
        "CHATTERBOX_MODEL=large names no model (it takes auto, original, turbo, multilingual)"
        in wrong.stdout
    )


def test_check_fails_when_chatterbox_is_installed_but_no_model_is(tmp_path):
    folder = project(tmp_path)
    fake_venv(folder, probe_answer())

    done = check_on(folder, tmp_path)

    assert done.returncode == exits.CHECK_FAILED
    assert "[FAIL] No Chatterbox model is installed in" in done.stdout
    assert "[info] Chatterbox Turbo (turbo): not installed" in done.stdout


def test_check_fails_on_multilingual_without_its_word_segmenter_and_says_how_to_fetch_it(tmp_path):
    folder = installed(tmp_path)
    write_model(folder, "multilingual", segmenter=False)

    done = check_on(folder, tmp_path)

    assert done.returncode == exits.CHECK_FAILED
    assert "Chinese word segmenter (spacy_ontonotes) is missing" in done.stdout
    assert (
        "python setup_env.py --model multilingual (downloads only what is missing)" in done.stdout
    )

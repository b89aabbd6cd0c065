"""launcher.py without a real start (test_start_linux.py starts both servers for real): its
refusals, and the order it starts and stops the server, its workers and the studio in (on fakes
that log what they were given)."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.launcher_fakes import Launch, fake_nvidia_smi, launched
from tests.scripts.script_helpers import run_script


def test_the_launcher_refuses_the_retired_port_variables_and_names_their_successors():
    done = run_script("launcher.py", env={"BACKEND_PORT": "8010", "FRONTEND_PORT": "8511"})
    assert done.returncode == 2
    assert "BACKEND_PORT is no longer read: set CHATTERBOX_PORT instead" in done.stderr
    assert "(for example CHATTERBOX_PORT=8010)" in done.stderr
    assert "FRONTEND_PORT is no longer read: set CHATTERBOX_STUDIO_PORT instead" in done.stderr


def test_workers_is_refused_unless_it_is_a_number_of_workers():
    done = run_script("launcher.py", env={"WORKERS": "many"})
    assert done.returncode == 2
    assert "WORKERS=many is not a number of workers from 0 to 64" in done.stderr
    done = run_script("launcher.py", env={"CHATTERBOX_WORKERS": "65"})
    assert done.returncode == 2
    assert "CHATTERBOX_WORKERS=65 is not a number of workers" in done.stderr


def stop_order(launch: Launch) -> list[str]:
    return [e["role"] for e in launch.events() if e["event"] == "stop"]


def test_workers_2_starts_one_worker_per_gpu_after_the_server_answers_and_stops_them_before_it(
    tmp_path: Path,
):
    path = fake_nvidia_smi(tmp_path / "bin", gpus=2)
    with launched(tmp_path, path, WORKERS="2") as launch:
        launch.wait_until(lambda: len(launch.started("worker")) == 2 and launch.started("studio"))
        server = launch.started("server")[0]
        workers = launch.started("worker")
        coordinator = f"http://127.0.0.1:{launch.server_port}"
        for worker in workers:
            assert worker["argv"] == ["worker", "--coordinator", coordinator]
            assert worker["coordinator_health"] == 200  # started once the server answered
            assert worker["env"]["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
            assert worker["env"]["CHATTERBOX_ENGINE"] is None  # the server's engine, from .env
        assert sorted(w["env"]["CUDA_VISIBLE_DEVICES"] for w in workers) == ["0", "1"]
        assert server["env"]["CUDA_VISIBLE_DEVICES"] is None  # the server sees every card

        # No token was set: one made for this run, the same for the server and its workers, in
        # their environment only (not the studio's, not a file, not the output).
        token = server["env"]["CHATTERBOX_WORKER_TOKEN"]
        assert token and len(token) >= 32
        assert {w["env"]["CHATTERBOX_WORKER_TOKEN"] for w in workers} == {token}
        assert launch.started("studio")[0]["env"]["CHATTERBOX_WORKER_TOKEN"] is None
        assert not (tmp_path / "tree" / ".env").exists()

        assert launch.ctrl_c() == 0
    assert token not in launch.output.read_text()
    assert stop_order(launch) == ["studio", "worker", "worker", "server"]


def test_more_workers_than_gpus_starts_one_a_gpu_and_says_so(tmp_path: Path):
    path = fake_nvidia_smi(tmp_path / "bin", gpus=1)
    with launched(tmp_path, path, CHATTERBOX_WORKERS="3") as launch:
        launch.wait_until(lambda: launch.started("studio") and launch.started("worker"))
        assert [w["env"]["CUDA_VISIBLE_DEVICES"] for w in launch.started("worker")] == ["0"]
        assert launch.ctrl_c() == 0
    assert "WORKERS=3, and this machine has 1 GPU(s): one worker per GPU." in (
        launch.output.read_text()
    )
    assert stop_order(launch) == ["studio", "worker", "server"]


def test_without_a_working_gpu_workers_3_starts_three_piper_workers_with_the_users_token(
    tmp_path: Path,
):
    # nvidia-smi is there but the driver is not: the CPU's workers.
    path = fake_nvidia_smi(tmp_path / "bin", gpus=0, fails=True)
    env = {"WORKERS": "3", "CHATTERBOX_WORKER_TOKEN": "the-users-worker-token"}
    with launched(tmp_path, path, **env) as launch:
        launch.wait_until(lambda: len(launch.started("worker")) == 3 and launch.started("studio"))
        workers = launch.started("worker")
        assert {w["env"]["CHATTERBOX_ENGINE"] for w in workers} == {"piper"}
        assert {w["env"]["CUDA_VISIBLE_DEVICES"] for w in workers} == {None}
        tokens = {
            e["env"]["CHATTERBOX_WORKER_TOKEN"] for e in [*workers, *launch.started("server")]
        }
        assert tokens == {"the-users-worker-token"}
        assert launch.ctrl_c() == 0
    assert stop_order(launch) == ["studio", "worker", "worker", "worker", "server"]


def test_no_workers_by_default_and_no_worker_token_made(tmp_path: Path):
    path = fake_nvidia_smi(tmp_path / "bin", gpus=2)
    with launched(tmp_path, path) as launch:
        launch.wait_until(lambda: launch.started("studio"))
        assert launch.started("worker") == []
        assert launch.started("server")[0]["env"]["CHATTERBOX_WORKER_TOKEN"] is None
        assert launch.ctrl_c() == 0
    assert stop_order(launch) == ["studio", "server"]

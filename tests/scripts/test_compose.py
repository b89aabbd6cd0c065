"""docker-compose.yml and docker/*.Dockerfile: what Compose resolves for each profile, and that the
images copy and run what the repository has.

`docker compose config` needs the docker client and its compose plugin, not an engine; no image is
built here. A machine without them fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
BACKEND_DOCKERFILE = ROOT / "docker" / "backend.Dockerfile"
FRONTEND_DOCKERFILE = ROOT / "docker" / "frontend.Dockerfile"
PROFILES = ("gpu", "cpu")
BACKENDS = {"gpu": "backend", "cpu": "backend-cpu"}
# The ways the README starts the stack: each engine alone, and each with its workers.
STACKS = (("gpu",), ("cpu",), ("gpu", "workers-gpu"), ("cpu", "workers-cpu"))
GPU_WORKERS = {"worker-gpu0": "0", "worker-gpu1": "1"}
WORKERS = (*GPU_WORKERS, "worker-cpu")
WORKER_COMMAND = ["python", "-m", "backend", "worker", "--coordinator", "http://backend:8000"]
# Variables that would change what Compose resolves; each test sets the ones it means to.
COMPOSE_VARIABLES = (
    "CHATTERBOX_PORT",
    "CHATTERBOX_STUDIO_PORT",
    "COMPOSE_PROFILES",
    "COMPOSE_FILE",
    "CHATTERBOX_API_TOKEN",
    "CHATTERBOX_WORKER_TOKEN",
    "CHATTERBOX_LOCAL_WORKER",
)
TOKEN = "compose-test-token"
WORKER_TOKEN = "compose-test-worker-token"


@cache
def docker_compose() -> str:
    """The docker client's path, once `docker compose version` has answered."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.fail(
            "The docker client is not on PATH. These tests run `docker compose config`, which "
            "needs the docker CLI and its compose plugin (no engine): install them.",
            pytrace=False,
        )
    result = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(
            "`docker compose version` failed: the docker client is here but its compose plugin "
            "is not (install a Docker Compose v2 binary as ~/.docker/cli-plugins/docker-compose): "
            f"{result.stderr.strip() or result.stdout.strip()}",
            pytrace=False,
        )
    return docker


@cache
def _config(profiles: tuple[str, ...], env: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    docker = docker_compose()
    environment = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    environment.update(env)
    # --env-file: a developer's own .env must not change what the tests see.
    args = [docker, "compose", "-f", str(COMPOSE_FILE), "--env-file", os.devnull]
    for profile in profiles:
        args += ["--profile", profile]
    args += ["config", "--format", "json"]
    result = subprocess.run(
        args, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, f"{' '.join(args[1:])} failed:\n{result.stderr}"
    return json.loads(result.stdout)


def config(*profiles: str, **env: str) -> dict[str, Any]:
    """`docker compose config` as JSON, with these profiles and these variables set (an API
    token unless the test sets its own)."""
    return _config(profiles, tuple(sorted(({"CHATTERBOX_API_TOKEN": TOKEN} | env).items())))


def services(*profiles: str, **env: str) -> dict[str, Any]:
    return config(*profiles, **env).get("services", {})


def seconds(duration: str) -> float:
    """A Go duration as Compose prints it ("2m0s", "15s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", duration)
    assert parts, f"not a duration: {duration!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def lines(dockerfile: Path, keyword: str) -> list[str]:
    """The arguments of each one-line `keyword` instruction (no parser: the facts below need
    only CMD, USER, EXPOSE, FROM and COPY, which these files write on one line each)."""
    pattern = re.compile(rf"^{keyword} (.+)$", re.MULTILINE)
    return [found.strip() for found in pattern.findall(dockerfile.read_text())]


def dockerignore() -> set[str]:
    text = (ROOT / ".dockerignore").read_text()
    return {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}


def test_no_service_starts_without_choosing_a_profile() -> None:
    # `docker compose up` then says "no service selected" instead of starting a studio that has
    # no server behind it.
    assert services() == {}


def test_gpu_profile_runs_chatterbox_on_one_reserved_nvidia_gpu() -> None:
    enabled = services("gpu")
    assert set(enabled) == {"backend", "frontend"}
    backend = enabled["backend"]
    devices = backend["deploy"]["resources"]["reservations"]["devices"]
    assert len(devices) == 1
    assert devices[0]["driver"] == "nvidia"
    assert "gpu" in devices[0]["capabilities"]
    assert devices[0]["count"] in (1, -1, "all")  # compose writes `all` as -1
    assert backend["environment"]["CHATTERBOX_ENGINE"] in ("chatterbox", "auto")
    assert backend["build"]["args"]["ENGINE"] == "chatterbox"


def test_backends_listen_inside_the_container_and_keep_models_and_data_outside() -> None:
    gpu = services("gpu")["backend"]
    assert gpu["environment"]["CHATTERBOX_HOST"] == "0.0.0.0"
    assert gpu["environment"]["CHATTERBOX_MODEL_CACHE_DIR"] == "/models"
    assert gpu["environment"]["CHATTERBOX_DATA_DIR"] == "/data"
    volumes = {volume["target"]: volume for volume in gpu["volumes"]}
    models = volumes["/models"]
    # setup_env.py downloads the weights into ./model_cache; the container reuses them, read-only.
    assert models["type"] == "bind"
    assert Path(models["source"]) == ROOT / "model_cache"
    assert models["read_only"] is True
    assert volumes["/data"]["type"] == "volume"
    assert volumes["/data"]["source"] == "data"
    assert "data" in config("gpu")["volumes"]

    cpu = services("cpu")["backend-cpu"]
    assert cpu["environment"]["CHATTERBOX_HOST"] == "0.0.0.0"
    assert cpu["environment"]["CHATTERBOX_DATA_DIR"] == "/data"
    cpu_volumes = {volume["target"]: volume for volume in cpu["volumes"]}
    # The same voices and jobs whichever profile runs.
    assert cpu_volumes["/data"]["source"] == "data"


def test_cpu_profile_runs_piper_without_a_gpu_or_torch() -> None:
    enabled = services("cpu")
    assert set(enabled) == {"backend-cpu", "frontend"}
    backend = enabled["backend-cpu"]
    assert backend["environment"]["CHATTERBOX_ENGINE"] == "piper"
    assert "deploy" not in backend  # no device reservation: it starts on any machine
    assert backend["build"]["args"]["ENGINE"] == "piper"
    assert backend["build"]["dockerfile"] == "docker/backend.Dockerfile"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_studio_reaches_whichever_backend_runs_as_backend_8000(profile: str) -> None:
    enabled = services(profile)
    frontend = enabled["frontend"]
    assert frontend["environment"]["CHATTERBOX_URL"] == "http://backend:8000"

    # Exactly one enabled service answers to the name `backend`: its own or an alias.
    def names(name: str) -> set[str]:
        aliases = (enabled[name].get("networks") or {}).get("default") or {}
        return {name, *aliases.get("aliases", [])}

    answering = [name for name in enabled if name != "frontend" and "backend" in names(name)]
    assert answering == [BACKENDS[profile]]
    assert enabled[BACKENDS[profile]]["ports"][0]["target"] == 8000

    # The studio waits for the running backend to be healthy; the other one may be absent.
    depends = frontend["depends_on"]
    assert depends[BACKENDS[profile]]["condition"] == "service_healthy"
    for name, dependency in depends.items():
        if name not in enabled:
            assert dependency["required"] is False, f"{name} is disabled in {profile}"


@pytest.mark.parametrize("stack", STACKS, ids="+".join)
def test_ports_are_published_on_the_host_loopback_only(stack: tuple[str, ...]) -> None:
    published = {}
    for name, service in services(*stack, CHATTERBOX_WORKER_TOKEN=WORKER_TOKEN).items():
        assert service.get("network_mode") != "host", name
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"
            published[port["target"]] = port["published"]
    assert published == {8000: "8000", 8501: "8501"}  # the workers publish nothing


@pytest.mark.parametrize("profile", PROFILES)
def test_chatterbox_port_and_studio_port_move_only_the_host_side(profile: str) -> None:
    # The start scripts' names: one .env gives the host's server and the published one one port.
    enabled = services(profile, CHATTERBOX_PORT="18000", CHATTERBOX_STUDIO_PORT="18501")
    backend_port = enabled[BACKENDS[profile]]["ports"]
    frontend_port = enabled["frontend"]["ports"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in backend_port] == [
        ("127.0.0.1", "18000", 8000)
    ]
    assert [(p["host_ip"], p["published"], p["target"]) for p in frontend_port] == [
        ("127.0.0.1", "18501", 8501)
    ]
    # Inside, the studio still finds the server on the container port.
    assert enabled["frontend"]["environment"]["CHATTERBOX_URL"] == "http://backend:8000"
    assert enabled["frontend"]["environment"]["STREAMLIT_BROWSER_SERVER_PORT"] == "18501"


@pytest.mark.parametrize(
    ("profile", "service", "url", "min_start"),
    [
        ("gpu", "backend", "http://127.0.0.1:8000/health", 120),
        ("cpu", "backend-cpu", "http://127.0.0.1:8000/health", 60),
        ("gpu", "frontend", "http://127.0.0.1:8501/_stcore/health", 10),
    ],
)
def test_healthchecks_probe_the_health_endpoints_with_python(
    profile: str, service: str, url: str, min_start: float
) -> None:
    check = services(profile)[service]["healthcheck"]
    test = check["test"]
    # Python's urllib, not curl, which the slim images lack.
    assert test[:3] == ["CMD", "python", "-c"]
    assert url in test[3]
    compile(test[3], f"{service} healthcheck", "exec")  # valid Python, as compose passes it
    assert seconds(check["start_period"]) >= min_start
    assert seconds(check["timeout"]) >= 5
    assert seconds(check["interval"]) >= 5
    assert check["retries"] >= 3


@pytest.mark.parametrize("stack", STACKS, ids="+".join)
def test_every_service_builds_from_a_dockerfile_in_the_repository(stack: tuple[str, ...]) -> None:
    for name, service in services(*stack).items():
        build = service["build"]
        assert Path(build["context"]) == ROOT, name
        assert (ROOT / build["dockerfile"]).is_file(), name


@pytest.mark.parametrize(
    "dockerfile", [BACKEND_DOCKERFILE, FRONTEND_DOCKERFILE], ids=lambda path: path.name
)
def test_what_an_image_copies_exists_and_is_not_left_out_of_the_build_context(
    dockerfile: Path,
) -> None:
    copies = lines(dockerfile, "COPY")
    assert copies, f"{dockerfile.name} copies nothing"
    left_out = dockerignore()
    for copy in copies:
        *sources, _ = (word for word in copy.split() if not word.startswith("--"))
        for source in sources:
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source} does not exist"
            top = Path(source).parts[0]
            assert top not in left_out, f"{dockerfile.name}: {source} is in .dockerignore"
            assert top not in ("model_cache", "data"), "weights and data are mounted, not copied"


def test_the_build_context_leaves_out_weights_data_venvs_secrets_and_git() -> None:
    assert {".git", ".venv*", ".env", "data", "model_cache", "test-artifacts"} <= dockerignore()
    assert {"**/__pycache__", "**/*.pyc"} <= dockerignore()


def test_backend_image_runs_the_server_module_as_an_unprivileged_user() -> None:
    text = BACKEND_DOCKERFILE.read_text()
    assert [json.loads(cmd) for cmd in lines(BACKEND_DOCKERFILE, "CMD")] == [
        ["python", "-m", "backend"]
    ]
    assert (ROOT / "backend" / "__main__.py").is_file()
    users = lines(BACKEND_DOCKERFILE, "USER")
    assert users and users[-1] not in ("root", "0")
    assert lines(BACKEND_DOCKERFILE, "EXPOSE") == ["8000"]
    assert lines(BACKEND_DOCKERFILE, "FROM")[0].startswith("python:3.11")
    # Both ENGINE values compose passes are handled, Chatterbox by the project's own extra.
    build_args = {
        s["build"]["args"]["ENGINE"]
        for s in services("gpu", "cpu", "workers-gpu", "workers-cpu").values()
        if "args" in s["build"]
    }
    assert build_args == {"chatterbox", "piper"}
    for engine in build_args:
        assert f"{engine})" in text, f"the image does not handle ENGINE={engine}"
    assert '"[chatterbox]"' in text


def test_frontend_image_runs_the_studio_on_all_container_interfaces() -> None:
    command = json.loads(lines(FRONTEND_DOCKERFILE, "CMD")[-1])
    assert command[:3] == ["streamlit", "run", "frontend/app.py"]
    assert (ROOT / command[2]).is_file()
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags == {"--server.address": "0.0.0.0", "--server.port": "8501"}
    assert lines(FRONTEND_DOCKERFILE, "USER")[-1] not in ("root", "0")
    assert lines(FRONTEND_DOCKERFILE, "EXPOSE") == ["8501"]


def test_frontend_image_installs_only_streamlit_and_requests_at_the_project_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]: spec.replace(" ", "")
        for spec in (*project["optional-dependencies"]["ui"], *project["dependencies"])
    }
    install = FRONTEND_DOCKERFILE.read_text()
    specs = re.findall(r'pip install ((?:"[^"]+"\s*)+)', install)
    assert len(specs) == 1, install
    pinned = re.findall(r'"([^"]+)"', specs[0])
    names = [re.split(r"[<>=!~ ]", spec, maxsplit=1)[0] for spec in pinned]
    assert sorted(names) == ["requests", "streamlit"]
    for name, spec in zip(names, pinned, strict=True):
        assert spec == wanted[name], f"{spec} differs from pyproject.toml's {wanted[name]}"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_backends_listen_widely_only_with_a_token_and_the_studio_sends_it(profile: str) -> None:
    enabled = services(profile)
    backend = enabled[BACKENDS[profile]]["environment"]

    assert backend["CHATTERBOX_HOST"] == "0.0.0.0"
    assert backend["CHATTERBOX_API_TOKEN"] == TOKEN
    assert json.loads(backend["CHATTERBOX_ALLOWED_HOSTS"]) == ["backend"]
    assert enabled["frontend"]["environment"]["CHATTERBOX_API_TOKEN"] == TOKEN


def test_compose_refuses_to_start_without_a_token_and_says_where_to_set_it() -> None:
    environment = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    args = [docker_compose(), "compose", "-f", str(COMPOSE_FILE), "--env-file", os.devnull]
    result = subprocess.run(
        [*args, "--profile", "cpu", "config"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode != 0
    assert "set CHATTERBOX_API_TOKEN in .env" in result.stderr


def test_workers_start_only_with_their_own_profile() -> None:
    for stack in STACKS[:2]:
        assert not set(WORKERS) & set(services(*stack)), stack
    assert set(services("gpu", "workers-gpu")) == {"backend", "frontend", *GPU_WORKERS}
    assert set(services("cpu", "workers-cpu")) == {"backend-cpu", "frontend", "worker-cpu"}


@pytest.mark.parametrize(("worker", "card"), GPU_WORKERS.items())
def test_each_gpu_worker_runs_chatterbox_on_its_own_card_with_the_read_only_models(
    worker: str, card: str
) -> None:
    service = services("gpu", "workers-gpu")[worker]
    assert service["command"] == WORKER_COMMAND
    assert service["build"]["args"]["ENGINE"] == "chatterbox"
    assert service["environment"]["CHATTERBOX_ENGINE"] == "chatterbox"
    assert service["environment"]["CHATTERBOX_MODEL_CACHE_DIR"] == "/models"
    # One named card, not a count: `--scale` could not give each replica a card of its own.
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["device_ids"] == [card]
    assert "count" not in device
    assert "gpu" in device["capabilities"]
    (models,) = service["volumes"]
    assert (models["type"], models["target"], models["read_only"]) == ("bind", "/models", True)
    assert Path(models["source"]) == ROOT / "model_cache"


def test_the_cpu_worker_runs_piper_without_a_gpu_and_nothing_stops_it_from_scaling() -> None:
    service = services("cpu", "workers-cpu")["worker-cpu"]
    assert service["command"] == WORKER_COMMAND
    assert service["build"]["args"]["ENGINE"] == "piper"
    assert service["environment"]["CHATTERBOX_ENGINE"] == "piper"
    assert "deploy" not in service  # no device: it starts on any machine
    # `--scale worker-cpu=N` refuses a fixed container name, and a published host port would be
    # taken by the first replica only.
    assert "container_name" not in service
    assert "ports" not in service


@pytest.mark.parametrize("stack", STACKS[2:], ids="+".join)
def test_workers_wait_for_whichever_backend_runs_and_share_none_of_its_data(
    stack: tuple[str, ...],
) -> None:
    enabled = services(*stack)
    for name in set(WORKERS) & set(enabled):
        depends = enabled[name]["depends_on"]
        backend = BACKENDS[stack[0]]
        assert depends[backend]["condition"] == "service_healthy", name
        for other, dependency in depends.items():
            if other not in enabled:
                assert dependency["required"] is False, f"{name}: {other} is disabled"
        # The jobs and voices stay the coordinator's: a worker fetches one scene's voice a lease.
        assert all(volume["target"] != "/data" for volume in enabled[name].get("volumes", []))
        assert "CHATTERBOX_API_TOKEN" not in enabled[name]["environment"], name


@pytest.mark.parametrize("stack", STACKS[2:], ids="+".join)
def test_the_worker_token_from_env_reaches_the_backend_and_every_worker(
    stack: tuple[str, ...],
) -> None:
    enabled = services(*stack, CHATTERBOX_WORKER_TOKEN=WORKER_TOKEN)
    for name in (BACKENDS[stack[0]], *(set(WORKERS) & set(enabled))):
        assert enabled[name]["environment"]["CHATTERBOX_WORKER_TOKEN"] == WORKER_TOKEN, name


@pytest.mark.parametrize("stack", STACKS, ids="+".join)
def test_without_a_worker_token_compose_still_starts_and_leaves_it_unset(
    stack: tuple[str, ...],
) -> None:
    # Unset (null: Compose passes nothing), not empty: an empty string would be a token.
    for name, service in services(*stack).items():
        environment = service["environment"]
        if name == "frontend":  # the studio speaks with the API token only
            assert "CHATTERBOX_WORKER_TOKEN" not in environment
        else:
            assert "CHATTERBOX_WORKER_TOKEN" in environment, name
            assert environment["CHATTERBOX_WORKER_TOKEN"] is None, name


@pytest.mark.parametrize("profile", PROFILES)
def test_local_worker_false_in_env_leaves_job_scenes_to_the_workers(profile: str) -> None:
    backend = BACKENDS[profile]
    assert services(profile)[backend]["environment"]["CHATTERBOX_LOCAL_WORKER"] is None
    chosen = services(profile, CHATTERBOX_LOCAL_WORKER="false")[backend]["environment"]
    assert chosen["CHATTERBOX_LOCAL_WORKER"] == "false"

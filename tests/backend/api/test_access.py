"""backend/api/access.py: the Host allow-list, the API token, and no token-less network answers
(cross-site requests: test_cross_site.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.e2e.conftest import ROOT
from tests.helpers.api import LOCAL, assert_error
from tests.helpers.live import serving

TOKEN = "s3cret-token-for-tests"
HOST_ERROR = {
    "error": "host_not_allowed",
    "message": "This server only answers requests addressed to this machine.",
    "solution": "Open it as http://127.0.0.1:<port> or http://localhost:<port>. To reach it under "
    "another name, add that name to CHATTERBOX_ALLOWED_HOSTS (and set CHATTERBOX_API_TOKEN).",
}
TOKEN_ERROR = {
    "error": "token_required",
    "message": "This server needs an API token, and the request did not carry the right one.",
    "solution": "Send the server's token (CHATTERBOX_API_TOKEN) as 'Authorization: Bearer <token>' "
    "or as 'X-API-Key: <token>'. The studio sends it when it has CHATTERBOX_API_TOKEN too.",
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, load_on_startup=False, quality_check="off")


def with_(settings: Settings, **overrides) -> Settings:
    return Settings(_env_file=None, **(settings.model_dump() | overrides))


def client_for(settings: Settings, base_url: str = LOCAL) -> TestClient:
    return TestClient(create_app(settings, FakeEngine()), base_url=base_url)


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000", "LOCALHOST"])
def test_requests_addressed_to_this_machine_are_answered(settings, host):
    with client_for(settings) as client:
        assert client.get("/voices", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""]
)
def test_another_host_name_is_refused_as_dns_rebinding(settings, host):
    with client_for(settings) as client:
        assert_error(client.get("/voices", headers={"host": host}), 421, HOST_ERROR)
        assert_error(client.get("/health", headers={"host": host}), 421, HOST_ERROR)


def test_names_added_to_allowed_hosts_are_answered(settings):
    settings = with_(settings, allowed_hosts=["backend"], api_token=TOKEN)
    with client_for(settings) as client:
        client.headers["authorization"] = f"Bearer {TOKEN}"
        assert client.get("/voices", headers={"host": "backend:8000"}).status_code == 200
        assert client.get("/voices", headers={"host": "other:8000"}).status_code == 421


def test_a_star_answers_any_host_name(settings):
    settings = with_(settings, allowed_hosts=["*"], api_token=TOKEN)
    with client_for(settings) as client:
        client.headers["authorization"] = f"Bearer {TOKEN}"
        assert client.get("/voices", headers={"host": "anything.example"}).status_code == 200


def test_with_a_token_every_route_but_health_requires_it(settings):
    settings = with_(settings, api_token=TOKEN)
    with client_for(settings) as client:
        assert client.get("/health").status_code == 200
        assert_error(client.get("/voices"), 401, TOKEN_ERROR)
        assert_error(client.get("/docs"), 401, TOKEN_ERROR)
        assert_error(client.post("/tts", json={"text": "hi"}), 401, TOKEN_ERROR)
        assert_error(client.patch("/voices/anna-1234abcd", json={"name": "B"}), 401, TOKEN_ERROR)
        wrong = {"authorization": "Bearer not-it"}
        assert_error(client.get("/voices", headers=wrong), 401, TOKEN_ERROR)
        bearer = {"authorization": f"Bearer {TOKEN}"}
        assert client.get("/voices", headers=bearer).status_code == 200
        assert client.get("/voices", headers={"x-api-key": TOKEN}).status_code == 200


def test_the_studio_client_sends_the_token_from_the_environment(settings, monkeypatch):
    from frontend.api_client import ApiClient, ApiError

    settings = with_(settings, api_token=TOKEN)
    with serving(create_app(settings, FakeEngine())) as url:
        with pytest.raises(ApiError) as refused:
            ApiClient(url).voices()
        monkeypatch.setenv("CHATTERBOX_API_TOKEN", TOKEN)
        assert ApiClient(url).voices()["voices"] == []
    assert refused.value.code == "token_required"


def test_without_a_token_a_request_on_a_network_socket_is_refused(settings):
    # uvicorn --host 0.0.0.0 bypasses the start-up check; the socket address still tells.
    with client_for(settings, base_url="http://192.168.1.20") as client:
        response = client.get("/voices", headers={"host": "localhost"})
    assert response.status_code == 401
    assert response.json()["message"] == (
        "This server was reached over the network, and it has no API token."
    )


def test_no_response_allows_every_origin(settings):
    with client_for(settings) as client:
        response = client.get("/voices", headers={"origin": "https://evil.example"})
        preflight = client.options(
            "/tts",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_a_non_loopback_host_without_a_token_is_a_configuration_problem():
    assert Settings(_env_file=None, host="0.0.0.0").exposure_problem() is not None
    assert Settings(_env_file=None, host="0.0.0.0", api_token=TOKEN).exposure_problem() is None
    assert Settings(_env_file=None, host="127.0.0.1").exposure_problem() is None
    assert Settings(_env_file=None, host="localhost").exposure_problem() is None


@pytest.mark.parametrize(
    "names", [["backend"], ["*"], ["localhost", "studio.lan"], ["192.168.1.20"], ["localhost."]]
)
def test_a_host_name_other_machines_can_use_needs_a_token_as_a_network_bind_does(names):
    problem = Settings(_env_file=None, allowed_hosts=names).exposure_problem()
    assert problem is not None
    assert "CHATTERBOX_ALLOWED_HOSTS answers" in problem
    assert "no CHATTERBOX_API_TOKEN is set" in problem
    assert Settings(_env_file=None, allowed_hosts=names, api_token=TOKEN).exposure_problem() is None


def test_allowed_host_names_of_this_machine_need_no_token():
    names = ["localhost", "LOCALHOST", "127.0.0.1", "127.0.1.1", "::1", "[::1]"]
    assert Settings(_env_file=None, allowed_hosts=names).exposure_problem() is None


def test_a_star_is_named_as_any_name_in_the_refusal():
    problem = Settings(_env_file=None, allowed_hosts=["*"]).exposure_problem()
    assert "'*' (any name)" in problem


def test_the_compose_backends_access_settings_pass_the_exposure_rule(monkeypatch):
    import yaml

    access = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-backend-access"]
    for name, value in access.items():
        monkeypatch.setenv(name, TOKEN if name == "CHATTERBOX_API_TOKEN" else value)
    settings = Settings(_env_file=None)
    assert settings.allowed_hosts == ["backend"]
    assert settings.exposure_problem() is None
    monkeypatch.delenv("CHATTERBOX_API_TOKEN")
    assert Settings(_env_file=None).exposure_problem() is not None


def run_backend(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend"],
        cwd=ROOT,
        env={"CHATTERBOX_DATA_DIR": str(tmp_path), "PATH": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_server_refuses_to_start_on_all_interfaces_without_a_token(tmp_path):
    done = run_backend(tmp_path, CHATTERBOX_HOST="0.0.0.0")
    assert done.returncode == 1
    assert "Refusing to start: CHATTERBOX_HOST=0.0.0.0 would let other machines" in done.stderr


def test_the_server_refuses_to_start_answering_any_host_name_without_a_token(tmp_path):
    done = run_backend(tmp_path, CHATTERBOX_ALLOWED_HOSTS='["*"]')
    assert done.returncode == 1
    assert "Refusing to start: CHATTERBOX_ALLOWED_HOSTS answers '*' (any name)" in done.stderr


def test_the_app_refuses_to_start_up_on_all_interfaces_without_a_token(tmp_path):
    settings = Settings(_env_file=None, host="0.0.0.0", data_dir=tmp_path)
    with pytest.raises(RuntimeError, match="no CHATTERBOX_API_TOKEN is set"), client_for(settings):
        pass


def test_the_app_refuses_to_start_up_answering_a_lan_name_without_a_token(tmp_path):
    settings = Settings(_env_file=None, allowed_hosts=["studio.lan"], data_dir=tmp_path)
    with (
        pytest.raises(RuntimeError, match=r"ALLOWED_HOSTS answers studio\.lan"),
        client_for(settings),
    ):
        pass


def test_the_studio_is_loopback_only_with_xsrf_on_and_no_error_details():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())

    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] == Settings(_env_file=None).max_upload_mb

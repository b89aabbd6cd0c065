"""backend/api/access.py over real loopback HTTP: a web page on another site cannot change anything.

A browser sends "simple" requests (an empty POST, a form, multipart, text/plain, and after a
preflight nobody answers, nothing else) to 127.0.0.1 from any page, with the page's Origin.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app
from tests.helpers.audio import clip_bytes
from tests.helpers.live import serving

EVIL = "http://evil.example"
TEXT = {"text": "Hello from another site."}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, load_on_startup=False, quality_check="off")


@contextlib.contextmanager
def live(settings: Settings) -> Iterator[httpx.Client]:
    """A real uvicorn serving the app on a loopback port, and a client of it (no Origin)."""
    with serving(create_app(settings, FakeEngine())) as url, httpx.Client(base_url=url) as client:
        yield client


def refused(response: httpx.Response) -> dict:
    """The plain error body of a 403 cross_site_request."""
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "cross_site_request"
    assert "CHATTERBOX_ALLOWED_ORIGINS" in body["solution"]
    assert "access-control-allow-origin" not in response.headers
    return body


def unfinished(base_url: str, method: str, path: str, headers: dict, sent: bytes, declared: int):
    """Send a request that declares `declared` body bytes but sends only `sent`, and read the
    answer. Only a server that never waits for the body can answer it: the rest never comes."""
    address = urlsplit(base_url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}", f"Content-Length: {declared}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
        response = http.client.HTTPResponse(sock)
        response.begin()  # a server waiting for the rest of the body times this out
        return response.status, json.loads(response.read())


def multipart(filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = "chatterbox-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", head + data


def test_an_empty_post_from_another_site_does_not_unload_the_model(settings):
    with live(settings) as client:
        assert client.post("/model/load").status_code == 200
        refused(client.post("/model/unload", headers={"origin": EVIL}))
        assert client.get("/health").json()["model_loaded"] is True


def test_a_form_post_from_another_site_queues_no_job(settings):
    with live(settings) as client:
        refused(client.post("/jobs", data=TEXT, headers={"origin": EVIL}))
        assert client.get("/jobs").json()["jobs"] == []


def test_a_multipart_upload_from_another_site_is_refused_before_its_body_is_read(settings):
    # 40 MB declared (under the 50 MB upload limit), one clip sent: a server that read the body
    # would wait for the other 39 MB; a refusal can only come from the headers.
    content_type, body = multipart("planted.wav", clip_bytes())
    headers = {"Origin": EVIL, "Content-Type": content_type}
    with live(settings) as client:
        status, answer = unfinished(
            str(client.base_url), "POST", "/voices", headers, body, 40 << 20
        )
        assert client.get("/voices").json()["voices"] == []
    assert status == 403
    assert answer["error"] == "cross_site_request"


@pytest.mark.parametrize(
    ("path", "content_type", "sent"),
    [
        ("/jobs", "application/x-www-form-urlencoded", b"text=Hello+from+another+site"),
        ("/tts", "text/plain", json.dumps(TEXT).encode()),
        ("/v1/audio/speech", "text/plain", b'{"model": "tts-1", "input": "Hi", "voice": "x"}'),
    ],
    ids=["form", "text-plain-json", "openai-text-plain"],
)
def test_no_simple_request_body_from_another_site_is_read(settings, path, content_type, sent):
    headers = {"Origin": EVIL, "Content-Type": content_type}
    with live(settings) as client:
        status, answer = unfinished(str(client.base_url), "POST", path, headers, sent, 500_000)
    assert status == 403
    code = answer["error"]["code"] if path.startswith("/v1/") else answer["error"]
    assert code == "cross_site_request"


def test_text_plain_json_from_another_site_speaks_nothing(settings):
    headers = {"origin": EVIL, "content-type": "text/plain"}
    with live(settings) as client:
        refused(client.post("/tts", content=json.dumps(TEXT), headers=headers))
        assert client.get("/health").json()["in_flight"] == 0


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_another_sites_delete_leaves_the_voice_in_the_library(settings, method):
    with live(settings) as client:
        added = client.post("/voices", files={"file": ("mine.wav", clip_bytes(), "audio/wav")})
        assert added.status_code == 201, added.text
        voice_id = added.json()["id"]
        refused(client.request(method, f"/voices/{voice_id}", headers={"origin": EVIL}))
        assert [v["id"] for v in client.get("/voices").json()["voices"]] == [voice_id]


def test_another_sites_patch_does_not_rename_the_voice_and_the_studios_does(settings):
    edit = {"name": "Planted", "language": "de"}
    with live(settings) as client:
        added = client.post("/voices", files={"file": ("mine.wav", clip_bytes(), "audio/wav")})
        voice = added.json()
        refused(client.patch(f"/voices/{voice['id']}", json=edit, headers={"origin": EVIL}))
        assert client.get("/voices").json()["voices"] == [voice]
        studio = {"origin": "http://localhost:8501", "sec-fetch-site": "same-site"}
        renamed = client.patch(f"/voices/{voice['id']}", json=edit, headers=studio)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Planted"


def test_the_openai_route_refuses_another_site_in_openais_envelope(settings):
    speech = {"model": "tts-1", "input": "Hello.", "voice": "alloy"}
    with live(settings) as client:
        response = client.post("/v1/audio/speech", json=speech, headers={"origin": EVIL})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "cross_site_request"
    assert error["type"] == "invalid_request_error"
    assert "evil.example" in error["message"]
    assert "CHATTERBOX_ALLOWED_ORIGINS" in error["solution"]


@pytest.mark.parametrize(
    ("origin", "fetch_site"),
    [
        ("null", "cross-site"),  # a sandboxed iframe or a file:// page
        ("null", None),
        ("http://localhost:3000", "same-site"),  # another port of localhost is the same site
        ("http://127.0.0.1:1", "same-site"),
        ("https://127.0.0.1:{port}", "cross-site"),  # another scheme is another origin
        ("http://127.0.0.1.evil.example:{port}", "cross-site"),
        ("not an origin", None),
        (None, "cross-site"),  # no Origin, but the browser says another site sent it
    ],
)
def test_foreign_origins_and_cross_site_fetches_are_refused(settings, origin, fetch_site):
    with live(settings) as client:
        port = client.base_url.port
        headers = {"sec-fetch-site": fetch_site} if fetch_site else {}
        if origin:
            headers["origin"] = origin.format(port=port)
        refused(client.post("/tts", json=TEXT, headers=headers))


def test_requests_without_an_origin_keep_working(settings):
    with live(settings) as client:
        assert client.post("/tts", json=TEXT).status_code == 200
        assert client.post("/jobs", data=TEXT).status_code == 202
        assert client.post("/model/unload").status_code == 200


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_this_servers_own_pages_may_post(settings, name):
    # The page of /docs posts with the server's own origin, under whichever loopback name.
    with live(settings) as client:
        origin = f"http://{name}:{client.base_url.port}"
        headers = {"origin": origin, "sec-fetch-site": "same-origin"}
        assert client.post("/tts", json=TEXT, headers=headers).status_code == 200


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8501", "http://localhost:8501"])
def test_the_studios_pages_may_post(settings, origin):
    with live(settings) as client:
        headers = {"origin": origin, "sec-fetch-site": "same-site"}
        assert client.post("/tts", json=TEXT, headers=headers).status_code == 200


def test_the_studio_port_setting_moves_the_trusted_studio_origin(settings):
    moved = Settings(_env_file=None, **(settings.model_dump() | {"studio_port": 9000}))
    with live(moved) as client:
        assert client.post(
            "/tts", json=TEXT, headers={"origin": "http://localhost:9000"}
        ).is_success
        refused(client.post("/tts", json=TEXT, headers={"origin": "http://localhost:8501"}))


def test_an_origin_in_chatterbox_allowed_origins_may_post(settings, monkeypatch):
    monkeypatch.setenv("CHATTERBOX_ALLOWED_ORIGINS", '["https://Narrator.example/"]')
    allowed = Settings(_env_file=None, data_dir=settings.data_dir, load_on_startup=False)
    assert allowed.allowed_origins == ["https://Narrator.example/"]
    with live(allowed) as client:
        # Another site by definition, so the browser says cross-site: the setting still wins.
        headers = {"origin": "https://narrator.example", "sec-fetch-site": "cross-site"}
        assert client.post("/tts", json=TEXT, headers=headers).status_code == 200
        headers["origin"] = "https://narrator.example:8443"
        refused(client.post("/tts", json=TEXT, headers=headers))


def test_reading_from_another_site_is_answered_but_never_shared(settings):
    # A GET changes nothing; without Access-Control-Allow-Origin the page cannot read the answer.
    with live(settings) as client:
        response = client.get("/voices", headers={"origin": EVIL, "sec-fetch-site": "cross-site"})
        preflight = client.options(
            "/tts", headers={"origin": EVIL, "access-control-request-method": "POST"}
        )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_an_allowed_origin_without_a_scheme_allows_nothing_and_is_logged(settings, caplog):
    odd = Settings(
        _env_file=None, **(settings.model_dump() | {"allowed_origins": ["evil.example"]})
    )
    with live(odd) as client:
        refused(client.post("/tts", json=TEXT, headers={"origin": EVIL}))
    assert "'evil.example' is not an origin" in caplog.text

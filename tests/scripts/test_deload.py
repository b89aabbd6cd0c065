"""deload.py against the real server (uvicorn on a free loopback port, a fake engine that reports
VRAM like a CUDA one), against no server at all, and against servers that answer badly."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from backend.core.settings import Settings
from backend.core.speech import EngineMemory
from backend.engines.fake import FakeEngine
from backend.engines.host import EngineHost
from backend.main import create_app
from tests.helpers.live import serving
from tests.scripts.script_helpers import (
    ROOT,
    free_port,
    http_stub,
    reply,
    run_script,
    torch_blocker,
)

GIB = 1024**3
MIB = 1024**2


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("deload-server")
    settings = Settings(
        _env_file=None,
        data_dir=data,
        model_cache_dir=data / "model_cache",
        quality_check="off",
        load_on_startup=False,
    )
    # the model in an engine host, as the server runs it, reporting VRAM like a CUDA engine
    loaded = EngineMemory(
        vram_allocated=int(2.9 * GIB),
        vram_reserved=int(3.1 * GIB),
        vram_free=int(2.6 * GIB),
        vram_total=6 * GIB,
    )
    engine = EngineHost(FakeEngine, memory=loaded)
    with serving(create_app(settings, engine)) as url:
        yield url


def call(url: str, method: str = "GET") -> dict:
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_loaded_model_is_unloaded_and_the_memory_before_after_and_freed_is_shown(server: str):
    assert call(server + "/model/load", "POST")["state"] == "ready"

    result = run_script("deload.py", "--url", server)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Model unloaded (fake)." in out
    assert "VRAM reserved: 3.1 GB -> 0 B (freed 3.1 GB)." in out
    assert re.search(r"Server RAM: \d+(\.\d)? [KMG]?B -> \d+(\.\d)? [KMG]?B \(", out), out
    assert "Libraries stay installed; the next request loads the model again." in out
    assert re.search(r"Engine process: ended \(it held \d+(\.\d)? [KMG]?B of RAM\)\.", out), out
    assert "its CUDA context with it: the GPU now holds only what other programs use" in out
    status = call(server + "/model/status")
    assert status["state"] == "unloaded"
    assert status["model_loaded"] is False


def test_with_nothing_loaded_it_says_so_and_succeeds(server: str):
    call(server + "/model/unload", "POST")

    result = run_script("deload.py", "--url", server)

    assert result.returncode == 0, result.stderr
    assert "Nothing loaded (fake): the model was not in memory, nothing to free." in result.stdout
    assert "Model unloaded" not in result.stdout


def test_json_prints_the_servers_answer(server: str):
    call(server + "/model/load", "POST")

    result = run_script("deload.py", "--url", server, "--json")

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["unloaded"] is True
    assert answer["before"]["vram_reserved_bytes"] == int(3.1 * GIB)
    assert answer["after"]["vram_reserved_bytes"] == 0
    assert answer["freed"]["vram_reserved_bytes"] == int(3.1 * GIB)


def test_the_url_comes_from_chatterbox_url_when_no_flag_is_given(server: str):
    call(server + "/model/load", "POST")

    result = run_script("deload.py", env={"CHATTERBOX_URL": server})

    assert result.returncode == 0, result.stderr
    assert "Model unloaded (fake)." in result.stdout


def test_no_server_at_all_means_nothing_is_loaded_and_exit_zero():
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens here

    result = run_script("deload.py", "--url", url)

    assert result.returncode == 0, result.stderr
    assert f"No server is running at {url}: nothing loaded, nothing holds the GPU." in result.stdout


def test_an_address_without_http_is_refused_before_anything_is_sent():
    result = run_script("deload.py", "--url", "localhost:8000")

    assert result.returncode == 2
    assert "must start with http://" in result.stderr


def test_a_server_error_is_reported_with_its_message_and_solution():
    body = json.dumps(
        {"error": "internal_error", "message": "Something broke.", "solution": "Restart it."}
    ).encode()
    with http_stub(reply(500, body)) as url:
        result = run_script("deload.py", "--url", url)

    assert result.returncode == 1
    assert "could not unload (HTTP 500): Something broke." in result.stderr
    assert "Restart it." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, b"<html>Bad gateway</html>", "answered HTTP 502"),
        (200, b"<html>hello</html>", "not as the Chatterbox Studio server does"),
        (200, b'{"unloaded": true}', "not as the Chatterbox Studio server does"),
        (404, b'{"detail": "Not Found"}', "is it the Chatterbox Studio server? (HTTP 404)"),
    ],
)
def test_an_unexpected_answer_fails_with_a_clear_message(status: int, body: bytes, expected: str):
    with http_stub(reply(status, body, "text/html")) as url:
        result = run_script("deload.py", "--url", url)

    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reply_that_is_not_http_fails_cleanly():
    def garbage(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"\x00\x01 definitely not http\r\n\r\n")

    with http_stub(garbage) as url:
        result = run_script("deload.py", "--url", url)

    assert result.returncode == 1
    assert f"The connection to {url} failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_that_does_not_answer_in_time_is_an_error():
    hung_up = threading.Event()

    def slow(handler: BaseHTTPRequestHandler) -> None:
        hung_up.wait(30)  # answer nothing until the client has given up

    with http_stub(slow) as url:
        result = run_script("deload.py", "--url", url, "--timeout", "0.5")
        hung_up.set()

    assert result.returncode == 1
    assert "did not answer within 0.5 s" in result.stderr


def test_it_never_imports_torch_nor_anything_outside_the_standard_library(
    server: str, tmp_path: Path
):
    source = (ROOT / "deload.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+torch\b", source, re.MULTILINE)
    call(server + "/model/load", "POST")

    # -S (in run_script) hides site-packages; a torch.py that raises sits first on the path.
    result = run_script(
        "deload.py",
        "--url",
        server,
        env={
            "PYTHONPATH": str(torch_blocker(tmp_path / "blocker")),
            "PYTHONPROFILEIMPORTTIME": "1",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "Model unloaded (fake)." in result.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "urllib.request" in imported
    assert not [name for name in imported if name.split(".")[0] == "torch"]


def test_the_cards_own_figure_is_shown_when_the_server_read_it():
    from deload import describe

    reading = {"rss_bytes": 200 * MIB, "vram_reserved_bytes": 3 * GIB}
    answer = {
        "unloaded": True,
        "engine": "chatterbox",
        "before": {**reading, "host_rss_bytes": 2 * GIB, "vram_device_used_bytes": 4 * GIB},
        "after": {**reading, "host_rss_bytes": 0, "vram_reserved_bytes": 0,
                  "vram_device_used_bytes": GIB // 2},
        "freed": {},
    }  # fmt: skip

    lines = describe(answer)

    assert "GPU memory in use, all programs: 4.0 GB -> 512 MB (freed 3.5 GB)." in lines
    assert "Engine process: ended (it held 2.0 GB of RAM)." in lines

"""The stalling proxy the workers tier puts between a worker and the coordinator: it forwards,
holds every byte while frozen, delivers them on thaw, and reads back what was answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.helpers.proxy import StallingProxy
from tests.helpers.wait import wait_for


class Counter(BaseHTTPRequestHandler):
    """POST /count answers how many POSTs the server has had, 409 for every third."""

    protocol_version = "HTTP/1.1"
    seen = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Counter.seen += 1
        body = str(Counter.seen).encode()
        self.send_response(409 if Counter.seen % 3 == 0 else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def proxy() -> Iterator[StallingProxy]:
    Counter.seen = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stall = StallingProxy(server.server_address[1])
    try:
        yield stall
    finally:
        stall.close()
        server.shutdown()
        server.server_close()


def test_a_frozen_proxy_holds_a_request_until_it_thaws_and_records_each_answer(proxy):
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        assert client.post("/count", content=b"x").text == "1"
        proxy.freeze()
        answer: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: answer.append(client.post("/count", content=b"y" * 200_000))
        )
        sender.start()
        wait_for(lambda: proxy.held() > 0, 10)  # the request reached the proxy, and no further
        assert Counter.seen == 1 and not answer
        proxy.thaw()
        sender.join(timeout=30)
        assert answer[0].text == "2"
        assert client.post("/count", content=b"z").status_code == 409
    assert proxy.exchanges() == [("POST", "/count", 200)] * 2 + [("POST", "/count", 409)]

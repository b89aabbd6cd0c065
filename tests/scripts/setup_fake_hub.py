"""A fake Hugging Face hub on a loopback port: the three calls fetch_model makes, nothing more,
for the two repos of the Chatterbox family.

- POST /api/models/{repo}/paths-info/{revision}: the sizes (get_paths_info)
- HEAD /{repo}/resolve/{revision}/{name}: X-Repo-Commit, ETag, Content-Length (file metadata)
- GET  the same, honouring `Range: bytes=N-` with a 206 (resumed downloads)

Knobs for the failure tests: `drop_once(name, after)` sends the first `after` bytes of the next
GET of `name`, closes the connection, and answers 503 for that file until `heal()`;
`lie_about_size(name, delta)` makes paths-info list a size `delta` bytes off.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from backend.core.models import MODELS

REPO = "ResembleAI/chatterbox"
TURBO_REPO = "ResembleAI/chatterbox-turbo"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SIZES = {  # small stand-ins for the real checkpoints, by repo
    REPO: {
        "ve.safetensors": 3_000,
        "t3_cfg.safetensors": 24_000_000,  # over huggingface_hub's 10 MB write chunk, so a drop keeps some
        "s3gen.safetensors": 120_000,
        "tokenizer.json": 500,
        "conds.pt": 900,
        "ve.pt": 2_000,
        "t3_mtl23ls_v2.safetensors": 40_000,
        "s3gen.pt": 30_000,
        "grapheme_mtl_merged_expanded_v1.json": 700,
        "Cangjie5_TC.json": 1_200,
    },
    # Without two of Turbo's optional files (special_tokens_map.json, tokenizer.json): set-up
    # fetches the optional files a repo has and skips the others.
    TURBO_REPO: {
        "ve.safetensors": 3_100,
        "t3_turbo_v1.safetensors": 60_000,
        "s3gen_meanflow.safetensors": 50_000,
        "vocab.json": 800,
        "merges.txt": 600,
        "added_tokens.json": 300,
        "conds.pt": 950,
        "tokenizer_config.json": 400,
    },
}
_FILE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/[^/]+/(?P<name>[^/?]+)$")
_PATHS_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/paths-info/")


def model_sizes(key: str) -> dict[str, int]:
    """The sizes of `key`'s files that the fake hub has: what a fetch of it downloads."""
    model = MODELS[key]
    return {name: SIZES[model.repo][name] for name in model.all_files if name in SIZES[model.repo]}


class FakeHub:
    def __init__(self) -> None:
        rng = random.Random(7)
        self.repos = {
            repo: {name: rng.randbytes(size) for name, size in sizes.items()}
            for repo, sizes in SIZES.items()
        }
        self.files = self.repos[REPO]  # the original's repo
        self.requests: list[tuple[str, str, str, str]] = []  # method, repo, name or path, Range
        self.size_lies: dict[str, int] = {}
        self._drop: dict[str, int] = {}
        self._down: set[str] = set()
        self._lock = threading.Lock()
        self.url = ""

    def drop_once(self, name: str, after: int) -> None:
        self._drop[name] = after

    def heal(self) -> None:
        self._down.clear()

    def lie_about_size(self, name: str, delta: int) -> None:
        self.size_lies[name] = delta

    def model_files(self, key: str) -> dict[str, bytes]:
        """The contents of `key`'s files on this hub, by name."""
        return {name: self.repos[MODELS[key].repo][name] for name in model_sizes(key)}

    def gets(self, repo: str = REPO) -> list[tuple[str, str]]:
        """(file name, Range header) of every GET of a file of `repo`, in order."""
        return [(n, rng) for method, r, n, rng in self.requests if method == "GET" and r == repo]

    def etag(self, repo: str, name: str) -> str:
        return hashlib.sha256(self.repos[repo][name]).hexdigest()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                match = _PATHS_INFO.match(self.path)
                repo = match["repo"] if match else ""
                with hub._lock:
                    hub.requests.append(("POST", repo, self.path, ""))
                if repo not in hub.repos:
                    return self._send(404, b"{}")
                files = hub.repos[repo]
                listed = [
                    {
                        "type": "file",
                        "path": name,
                        "oid": hashlib.sha1(files[name]).hexdigest(),
                        "size": len(files[name]) + hub.size_lies.get(name, 0),
                    }
                    for name in form.get("paths", [])
                    if name in files
                ]
                self._send(200, json.dumps(listed).encode(), "application/json")

            def do_HEAD(self) -> None:
                self._file(body=False)

            def do_GET(self) -> None:
                self._file(body=True)

            def _file(self, body: bool) -> None:
                match = _FILE.match(self.path)
                repo = match["repo"] if match else ""
                name = urllib.parse.unquote(match["name"]) if match else self.path
                range_header = self.headers.get("Range", "")
                with hub._lock:
                    hub.requests.append((self.command, repo, name, range_header))
                if name not in hub.repos.get(repo, {}):
                    return self._send(404, b"")
                if name in hub._down:
                    return self._send(503, b"")
                data = hub.repos[repo][name]
                start = int(range_header[len("bytes=") :].split("-")[0]) if range_header else 0
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hub.etag(repo, name)}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if not body:
                    return
                drop = hub._drop.pop(name, None)
                if drop is None:
                    self.wfile.write(data[start:])
                    return
                hub._down.add(name)
                self.wfile.write(data[start : start + drop])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _send(self, status: int, payload: bytes, kind: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

        return Handler


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), hub.handler())
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()

"""Frees the GPU and RAM the narration server holds, without stopping it: POST /model/unload.

Standard library only, and it never imports torch: it only talks to the running server, so every
library stays installed and the next request loads the model again. Run it with any Python 3.11+:

    python deload.py                      # CHATTERBOX_URL, else CHATTERBOX_HOST:CHATTERBOX_PORT
    python deload.py --url http://127.0.0.1:8010 --json

Exit codes: 0 unloaded, or nothing was loaded (including no server running at all: then nothing
holds the GPU); 1 the server did not answer in time, answered with an error, or with something
that is not the Chatterbox Studio server; 2 an address that is not http(s)://.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from backend.core.constants import read_environment, server_url
from studio_setup.machine import human  # standard library only, like this script (and the above)

ROOT = Path(__file__).resolve().parent
CONTEXT_NOTE = (
    "The engine's process has ended, and its CUDA context with it: the GPU now holds only what "
    "other programs use."
)
OLD_SERVER_NOTE = (
    "This server runs the model inside its own process, so its CUDA context (about 300-500 MB "
    "of VRAM) stays until it stops: press Ctrl+C in its start window."
)
REQUIRED_KEYS = ("unloaded", "engine", "before", "after", "freed")


class DeloadError(Exception):
    """A failure worth a non-zero exit; the message says what happened and what to do."""


def default_url() -> str:
    """CHATTERBOX_URL, else where CHATTERBOX_HOST and CHATTERBOX_PORT put the server (the
    environment over the project's .env: backend.core.constants' rule)."""
    return server_url(read_environment(ROOT))


def request_unload(url: str, timeout: float) -> dict[str, Any] | None:
    """The server's answer to POST /model/unload; None when nothing listens at `url` at all."""
    # No proxies: the server is on this machine, and a system proxy must not see or answer this.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        url.rstrip("/") + "/model/unload",
        data=b"",
        method="POST",
        headers={"Accept": "application/json"},
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise DeloadError(_http_error(url, exc)) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return None
        if isinstance(exc.reason, TimeoutError):
            raise DeloadError(_timeout_message(url, timeout)) from exc
        raise DeloadError(f"Could not reach the server at {url}: {exc.reason}.") from exc
    except TimeoutError as exc:
        raise DeloadError(_timeout_message(url, timeout)) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DeloadError(f"The connection to {url} failed: {exc}.") from exc
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not all(key in answer for key in REQUIRED_KEYS):
        raise DeloadError(
            f"{url} answered, but not as the Chatterbox Studio server does "
            f"(unexpected body: {body[:120]!r}). Is --url right?"
        )
    return answer


def _timeout_message(url: str, timeout: float) -> str:
    return (
        f"The server at {url} did not answer within {timeout:g} s. Unloading waits for the "
        "work already running (a long scene, or a model that is still loading); try again in a "
        "minute, or with --timeout 600."
    )


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    body = exc.read()
    try:
        detail = json.loads(body)
    except ValueError:
        detail = None
    if isinstance(detail, dict) and "message" in detail:
        text = f"The server at {url} could not unload (HTTP {exc.code}): {detail['message']}"
        return f"{text}\n{detail['solution']}" if detail.get("solution") else text
    if exc.code == 404:
        return f"{url} has no /model/unload: is it the Chatterbox Studio server? (HTTP 404)"
    return f"The server at {url} answered HTTP {exc.code}: {body[:120]!r}"


def _pick(reading: dict[str, Any], *keys: str) -> tuple[str, int | None]:
    for key in keys:
        if isinstance(reading.get(key), int):
            return key, reading[key]
    return keys[0], None


def _line(label: str, before: int | None, after: int | None) -> str:
    if before is None or after is None:
        return f"{label}: not reported."
    freed = before - after
    if freed > 0:
        change = f"freed {human(freed)}"
    elif freed == 0:
        change = "no change"
    else:
        change = f"grew by {human(-freed)}"
    return f"{label}: {human(before)} -> {human(after)} ({change})."


def describe(answer: dict[str, Any]) -> list[str]:
    """The lines a person reads for one /model/unload answer."""
    before, after = answer.get("before") or {}, answer.get("after") or {}
    engine = answer.get("engine", "model")
    key, vram_before = _pick(before, "vram_reserved_bytes", "vram_allocated_bytes")
    vram_after = after.get(key) if isinstance(after.get(key), int) else None
    uses_gpu = vram_before is not None or vram_after is not None
    vram_label = "VRAM reserved" if key == "vram_reserved_bytes" else "VRAM allocated"
    if answer["unloaded"]:
        lines = [f"Model unloaded ({engine})."]
        if uses_gpu:
            lines.append(_line(vram_label, vram_before, vram_after))
        else:
            lines.append("VRAM: none in use (the model ran on the CPU).")
        host_before = before.get("host_rss_bytes")
        if isinstance(host_before, int):
            lines.append(f"Engine process: ended (it held {human(host_before)} of RAM).")
        lines.append(_line("Server RAM", before.get("rss_bytes"), after.get("rss_bytes")))
        card_before, card_after = (
            before.get("vram_device_used_bytes"),
            after.get("vram_device_used_bytes"),
        )
        if isinstance(card_before, int) and isinstance(card_after, int):
            lines.append(_line("GPU memory in use, all programs", card_before, card_after))
        lines.append("Libraries stay installed; the next request loads the model again.")
    else:
        lines = [f"Nothing loaded ({engine}): the model was not in memory, nothing to free."]
        if isinstance(after.get("rss_bytes"), int):
            lines.append(f"Server RAM: {human(after['rss_bytes'])}.")
    if uses_gpu:
        hosted = isinstance(before.get("host_rss_bytes"), int)  # the model had its own process
        lines.append(CONTEXT_NOTE if hosted else OLD_SERVER_NOTE)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Ask the running Chatterbox Studio server to unload its model (frees VRAM "
        "and RAM; keeps the server and every library)."
    )
    parser.add_argument("--url", default=None, help=f"server address (default: {default_url()})")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for the unload (default 180)"
    )
    parser.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    args = parser.parse_args(argv)
    url = (args.url or default_url()).rstrip("/")
    if not url.startswith(("http://", "https://")):
        print(f"Error: the server address must start with http:// (got {url!r}).", file=sys.stderr)
        return 2
    try:
        answer = request_unload(url, args.timeout)
    except DeloadError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if answer is None:
        if args.json:
            print(json.dumps({"unloaded": False, "server": None, "url": url}))
        else:
            print(f"No server is running at {url}: nothing loaded, nothing holds the GPU.")
        return 0
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        print("\n".join(describe(answer)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

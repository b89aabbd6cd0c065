"""Who may talk to the server: a Host header allow-list against DNS rebinding, no changes asked
for by another site's web pages, the API token when one is set, and no token-less answers on a
non-loopback socket.

A web page on another site can make the browser send requests to 127.0.0.1 under its own name
(DNS rebinding); only Host names of this machine (and those the user adds) are answered. It can
also send "simple" POSTs (forms, multipart, text/plain) with no CORS preflight: a state-changing
request whose Origin is not this server, the studio or CHATTERBOX_ALLOWED_ORIGINS is refused
before its body is read. With `api_token` set, every route but /health needs
`Authorization: Bearer <token>` or `X-API-Key`, and an unauthenticated /health says little.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import error_response
from backend.core.errors import AppError, CrossSiteRequest, HostNotAllowed, TokenRequired
from backend.core.settings import LOOPBACK_NAMES, Settings, is_loopback

log = logging.getLogger(__name__)

OPEN_PATHS = ("/health",)
# The worker routes check the worker token themselves (backend.api.deps.require_worker).
WORKER_PATHS = ("/workers/claim", "/workers/leases/")
METRICS_PATH = "/metrics"  # the API token, or the worker token (Prometheus, KEDA)
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
ORIGIN_LOOPBACK = ("localhost", "127.0.0.1", "::1")  # as urlsplit spells the hostname
ENGINE_HEADERS = (b"x-tts-engine", b"x-tts-device")

Origin = tuple[str, str, int]


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.any_host = "*" in settings.allowed_hosts
        self.hosts = {name.lower() for name in (*LOOPBACK_NAMES, *settings.allowed_hosts)}
        token = settings.api_token.get_secret_value() if settings.api_token else None
        self.token = token.encode() if token else None
        worker = settings.worker_token.get_secret_value() if settings.worker_token else None
        self.worker_token = worker.encode() if worker else None
        studio = [f"http://{name}:{settings.studio_port}" for name in ("127.0.0.1", "localhost")]
        self.origins = {parse_origin(origin) for origin in (*studio, *settings.allowed_origins)}
        self.origins.discard(None)
        for origin in settings.allowed_origins:
            if parse_origin(origin) is None:
                log.warning(
                    "CHATTERBOX_ALLOWED_ORIGINS entry %r is not an origin such as "
                    "http://localhost:3000 (scheme://host[:port]); it allows nothing.",
                    origin,
                )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        error = self._check(scope)
        if error is None:
            await self.app(scope, receive, self._sender(scope, send))
            return
        response = error_response(error, scope["path"])
        if isinstance(error, CrossSiteRequest):
            response.headers["connection"] = "close"  # its body is never read
        await response(scope, receive, send)

    def _check(self, scope: Scope) -> AppError | None:
        headers = Headers(scope=scope)
        if not self.any_host and host_name(headers.get("host", "")) not in self.hosts:
            return HostNotAllowed()
        if scope.get("method") in STATE_CHANGING and (refusal := self._cross_site(scope, headers)):
            return refusal
        authenticated = self.token is not None and self._token_matches(headers)
        scope.setdefault("state", {})["authenticated"] = authenticated  # read by GET /health
        if scope["path"] in OPEN_PATHS or scope["path"].startswith(WORKER_PATHS):
            return None
        if scope["path"] == METRICS_PATH and self._token_matches(headers, self.worker_token):
            return None
        if self.token is None:
            server = scope.get("server")
            if server and not is_loopback(str(server[0])):  # e.g. uvicorn --host 0.0.0.0
                return TokenRequired(
                    "This server was reached over the network, and it has no API token.",
                    "Set CHATTERBOX_API_TOKEN on the server and send it with each request, or "
                    "bind it to 127.0.0.1 only.",
                )
            return None
        if not authenticated:
            return TokenRequired()
        return None

    def _cross_site(self, scope: Scope, headers: Headers) -> CrossSiteRequest | None:
        """A refusal when another site's page sent this request, or None.

        Origin decides: a browser always sends it on a cross-origin POST, and a page cannot forge
        it. Sec-Fetch-Site only adds a refusal where no Origin came (another port of localhost
        is "same-site", so it cannot tell the studio's neighbours from the studio).
        """
        origins = headers.getlist("origin")
        if not origins:
            if headers.get("sec-fetch-site", "").lower() == "cross-site":
                return CrossSiteRequest(
                    "The browser marked this request as sent by a page on another site "
                    "(Sec-Fetch-Site: cross-site); this server does not take changes from one."
                )
            return None
        own = self_origins(scope, headers)
        for origin in origins:
            parsed = parse_origin(origin)
            if parsed is None or (parsed not in own and parsed not in self.origins):
                shown = "".join(ch for ch in origin if ch.isprintable())[:100]
                return CrossSiteRequest(
                    f"A web page at {shown} asked this server to change something; it only "
                    "takes such requests from its own pages, the studio and programs that send "
                    "no Origin header."
                )
        return None

    def _sender(self, scope: Scope, send: Send) -> Send:
        """`send`, less the engine headers where a token is set and the request lacks it."""
        if self.token is None or scope.get("state", {}).get("authenticated", True):
            return send

        async def without_engine(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", []) if h[0].lower() not in ENGINE_HEADERS]
                message = {**message, "headers": kept}
            await send(message)

        return without_engine

    def _token_matches(self, headers: Headers, token: bytes | None = None) -> bool:
        token = token or self.token
        if token is None:
            return False
        offered = headers.get("x-api-key", "")
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            offered = credentials.strip()
        return hmac.compare_digest(offered.encode(), token)


def host_name(host: str) -> str:
    """The name part of a Host header: 'localhost:8000' -> 'localhost', '[::1]:80' -> '[::1]'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def parse_origin(origin: str) -> Origin | None:
    """(scheme, host, port) of an Origin header or setting; None for "null" or anything unclear."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number, or out of range
        return None
    if not parts.hostname or port is None or parts.scheme not in DEFAULT_PORTS:
        return None
    return parts.scheme, parts.hostname, port


def self_origins(scope: Scope, headers: Headers) -> set[Origin]:
    """The origins of pages served by this server: the address the request was sent to, and the
    loopback names with the same port."""
    scheme = scope.get("scheme", "http")
    addressed = parse_origin(f"{scheme}://{headers.get('host', '')}")
    if addressed is None:
        return set()
    port = addressed[2]
    return {addressed, *((scheme, name, port) for name in ORIGIN_LOOPBACK)}

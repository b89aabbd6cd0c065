"""Who may talk to the server: a Host header allow-list against DNS rebinding, the API token when
one is set, and no token-less answers on a non-loopback socket.

A web page on another site can make the browser send requests to 127.0.0.1 under its own name
(DNS rebinding); only Host names of this machine (and those the user adds) are answered. With
`api_token` set, every route but /health needs `Authorization: Bearer <token>` or `X-API-Key`.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.errors import error_response
from backend.core.errors import AppError, HostNotAllowed, TokenRequired
from backend.core.settings import LOOPBACK_NAMES, Settings, is_loopback

OPEN_PATHS = ("/health",)


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.any_host = "*" in settings.allowed_hosts
        self.hosts = {name.lower() for name in (*LOOPBACK_NAMES, *settings.allowed_hosts)}
        token = settings.api_token.get_secret_value() if settings.api_token else None
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        error = self._check(scope)
        if error is None:
            await self.app(scope, receive, send)
            return
        await error_response(error, scope["path"])(scope, receive, send)

    def _check(self, scope: Scope) -> AppError | None:
        headers = Headers(scope=scope)
        if not self.any_host and host_name(headers.get("host", "")) not in self.hosts:
            return HostNotAllowed()
        if scope["path"] in OPEN_PATHS:
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
        if not self._token_matches(headers):
            return TokenRequired()
        return None

    def _token_matches(self, headers: Headers) -> bool:
        offered = headers.get("x-api-key", "")
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            offered = credentials.strip()
        return hmac.compare_digest(offered.encode(), self.token or b"")


def host_name(host: str) -> str:
    """The name part of a Host header: 'localhost:8000' -> 'localhost', '[::1]:80' -> '[::1]'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

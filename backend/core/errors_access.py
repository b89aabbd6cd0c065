"""Errors of who may ask and how much: hosts, tokens, a busy server, other sites, and the pull
workers' token, leases and uploads (gathered by backend.core.errors)."""

from __future__ import annotations

from backend.core.error_base import AppError


class HostNotAllowed(AppError):
    status_code = 421
    code = "host_not_allowed"
    default_message = "This server only answers requests addressed to this machine."
    default_solution = (
        "Open it as http://127.0.0.1:<port> or http://localhost:<port>. To reach it under another "
        "name, add that name to CHATTERBOX_ALLOWED_HOSTS (and set CHATTERBOX_API_TOKEN)."
    )


class TokenRequired(AppError):
    status_code = 401
    code = "token_required"
    default_message = "This server needs an API token, and the request did not carry the right one."
    default_solution = (
        "Send the server's token (CHATTERBOX_API_TOKEN) as 'Authorization: Bearer <token>' or as "
        "'X-API-Key: <token>'. The studio sends it when it has CHATTERBOX_API_TOKEN too."
    )


class ServerBusy(AppError):
    status_code = 429
    code = "server_busy"
    default_message = "The server already has as many requests waiting as it queues."
    default_solution = (
        "Try again after the number of seconds in the Retry-After header; long texts are better "
        "sent as a narration job (POST /jobs), which has no such limit."
    )


class CrossSiteRequest(AppError):
    status_code = 403
    code = "cross_site_request"
    default_message = (
        "A web page on another site asked this server to change something; it only takes such "
        "requests from its own pages, the studio and programs that send no Origin header."
    )
    default_solution = (
        "If you trust that page, add its origin (for example http://localhost:3000) to "
        "CHATTERBOX_ALLOWED_ORIGINS on the server and restart it. Scripts, curl and API clients "
        "(which send no Origin header) are not affected."
    )


class WorkersDisabled(AppError):
    status_code = 503
    code = "workers_disabled"
    default_message = "This server takes no workers: it has no worker token."
    default_solution = (
        "Set CHATTERBOX_WORKER_TOKEN on the server (for example the output of: python -c "
        '"import secrets; print(secrets.token_urlsafe(32))"), restart it, and start the worker '
        "with the same token (--token or CHATTERBOX_WORKER_TOKEN)."
    )


class WorkerTokenRequired(AppError):
    status_code = 401
    code = "worker_token_required"
    default_message = "Worker routes need the worker token, and the request did not carry it."
    default_solution = (
        "Start the worker with the server's CHATTERBOX_WORKER_TOKEN (--token or the "
        "CHATTERBOX_WORKER_TOKEN variable); it is sent as 'Authorization: Bearer <token>'."
    )


class LeaseLost(AppError):
    status_code = 409
    code = "lease_lost"
    default_message = (
        "This lease is no longer the worker's: it expired, or the scene went to another worker."
    )
    default_solution = (
        "Drop the scene and claim the next one (POST /workers/claim); renew a lease well "
        "before its deadline (every third of CHATTERBOX_LEASE_SECONDS)."
    )


class ChecksumMismatch(AppError):
    status_code = 422
    code = "checksum_mismatch"
    default_message = "The audio's SHA-256 is not the one its X-Audio-SHA256 header gives."
    default_solution = (
        "Send the audio again, whole; its lease still holds the scene until the deadline."
    )

"""Request ids: ``X-Request-ID`` in (kept when well formed) and out, and in every log line.

:class:`RequestIdMiddleware` is plain ASGI (no per-request task or copy of the body): it takes
the caller's id when it is 1-128 characters of letters, digits and ``._:-``, else makes one, sets
it in a context variable for the handlers and the audit log, adds it to the response, and logs
one access line per request (method, path, status, milliseconds, request id).
:class:`RequestIdFilter` puts ``request_id`` on every log record for formats that show it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
SCOPE_KEY = "shopfloor.request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str] = ContextVar("shopfloor_request_id", default="")

access_log = logging.getLogger("shopfloor.api.access")


def current_request_id() -> str:
    """The id of the request being handled ('' outside a request)."""
    return _current.get()


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


def _incoming(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _VALID.match(text):
                return text
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = _incoming(scope)
        scope[SCOPE_KEY] = rid  # for the handler of unexpected errors, outside this middleware
        token = _current.set(rid)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status["code"] = 500
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s %.1f ms request_id=%s",
                    scope.get("method", "WS"),
                    scope.get("path", ""),
                    status["code"],
                    (time.perf_counter() - started) * 1000,
                    rid,
                )
            _current.reset(token)

"""One JSON error shape for every failure: ``{"code", "message", "details"}`` (errors.py).

The status follows the error: 401 not authenticated, 403 not allowed, 404 not found, 409
conflict or illegal transition, 422 any other bad input (including request validation, whose
``details.errors`` lists each bad field with its path), 503 a service this server does not run
or cannot reach, 500 anything else. A 500 names the request id and is logged with its
traceback; its message never leaks internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shopfloor.api.requestid import SCOPE_KEY, current_request_id
from shopfloor.assess.service import AssessmentBusy
from shopfloor.auth.audit import plain
from shopfloor.auth.errors import Forbidden, Unauthenticated, UserConflict, UserNotFound
from shopfloor.errors import ConnectorUnavailable, NotFound, ShopfloorError
from shopfloor.mes import IllegalTransition, MesConflict, MesNotFound
from shopfloor.sqlite import is_busy

log = logging.getLogger(__name__)


class Unavailable(ShopfloorError):
    """The server runs without the service a route needs (HTTP 503)."""

    code = "api.unavailable"


_STATUS: list[tuple[type[ShopfloorError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (MesNotFound, 404),
    (UserNotFound, 404),
    (IllegalTransition, 409),
    (MesConflict, 409),
    (UserConflict, 409),
    (AssessmentBusy, 409),
    (ConnectorUnavailable, 503),
    (Unavailable, 503),
]

_HTTP_CODES = {
    400: "http.bad_request",
    401: "auth.unauthenticated",
    403: "auth.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    406: "http.not_acceptable",
    413: "http.too_large",
    415: "http.unsupported_media_type",
}


def status_of(exc: ShopfloorError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 422 if exc.bad_input else 500


def error_body(code: str, message: str, **details: object) -> dict[str, object]:
    return {"code": code, "message": message, "details": plain(details)}


async def _shopfloor_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShopfloorError)
    status = status_of(exc)
    if status >= 500:
        log.error("%s [%s]: %s", request.url.path, exc.code, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"code": exc.code, "message": exc.message, "details": plain(exc.details)}
    return JSONResponse(body, status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"path": "", "message": "invalid request"}
    message = f"{first['path']}: {first['message']}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return JSONResponse(error_body("input.validation", message, errors=errors), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404:
        message = f"no such resource: {request.url.path}"
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    rid = current_request_id() or str(request.scope.get(SCOPE_KEY, ""))
    if is_busy(exc):  # SQLite: another writer committed first; nothing was written
        log.warning("%s %s: database busy (request id %s)", request.method, request.url.path, rid)
        body = error_body(
            "db.busy",
            "the database is busy with another writer and nothing was changed; retry the request",
            request_id=rid,
        )
        return JSONResponse(
            body, status_code=503, headers={"x-request-id": rid, "Retry-After": "1"}
        )
    log.exception(
        "unexpected error in %s %s (request id %s)", request.method, request.url.path, rid
    )
    return JSONResponse(
        error_body("internal", f"internal error; quote request id {rid}", request_id=rid),
        status_code=500,
        headers={"x-request-id": rid},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ShopfloorError, _shopfloor_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

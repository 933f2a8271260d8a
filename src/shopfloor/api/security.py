"""Authentication and the one permission check every route makes.

A request is authenticated by an API token (``Authorization: Bearer sft_...``) or a web session
(the ``shopfloor_session`` cookie, HttpOnly, SameSite=Strict). A request authenticated by the
cookie that may change state (any method but GET, HEAD, OPTIONS) must also carry the session's
CSRF token in the ``X-CSRF-Token`` header. Each route declares its one permission with
``Annotated[Principal, require(Permission.X)]``: 401 without a valid credential, 403 when the
role does not hold the permission. Denied requests change nothing and are not audited (they are
logged).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shopfloor.api.context import ApiContext
from shopfloor.auth.errors import CsrfFailed, Forbidden, Unauthenticated
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission, lowest_role

SESSION_COOKIE = "shopfloor_session"
CSRF_COOKIE = "shopfloor_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="API token: `Authorization: Bearer sft_<id>_<secret>` (`shopfloor user token`)",
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description=f"Web session from POST /api/v1/auth/login; writes also need the {CSRF_HEADER} "
    "header (the csrf_token of the login answer)",
)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def _authenticate(
    ctx: ApiContext, method: str, token: str | None, session_id: str | None, csrf: str | None
) -> Principal:
    if token is not None:
        return ctx.auth.tokens.resolve(token)
    if session_id:
        who = ctx.auth.sessions.resolve(session_id)
        if who is None:
            raise Unauthenticated("session: expired or ended; log in again")
        if method not in SAFE_METHODS and (
            not csrf or who.csrf is None or not hmac.compare_digest(csrf, who.csrf)
        ):
            raise CsrfFailed(
                f"csrf: a {method} with a session cookie needs the session's CSRF token in "
                f"the {CSRF_HEADER} header"
            )
        return who
    raise Unauthenticated(
        "authentication required: send 'Authorization: Bearer <API token>' or log in "
        "(POST /api/v1/auth/login)"
    )


async def authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    session_id: str | None = Depends(session_cookie),
) -> Principal:
    """The caller, whatever it may do (401 when unknown)."""
    ctx = context(request)
    token = credentials.credentials if credentials is not None else None
    if token is None and request.headers.get("authorization"):
        raise Unauthenticated("authorization header: use the Bearer scheme with an API token")
    csrf = request.headers.get(CSRF_HEADER)
    who = await run_in_threadpool(_authenticate, ctx, request.method, token, session_id, csrf)
    request.state.principal = who
    return who


class Requirement:
    """The dependency :func:`require` makes: checks that the caller holds ``permission``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, who: Principal = Depends(authenticate)) -> Principal:
        permission = self.permission
        if not who.can(permission):
            lowest = lowest_role(permission)
            log.warning("denied %s to %s (%s)", permission.value, who.username, who.role.label)
            raise Forbidden(
                f"{permission.value}: needs role {lowest.label} or higher; "
                f"{who.username} is {who.role.label}",
                permission=permission.value,
                role=who.role.label,
            )
        return who


def require(permission: Permission) -> Any:
    """The dependency of a route: the caller, who must hold ``permission``."""
    return Depends(Requirement(permission))


def permission_of(route: APIRoute) -> Permission | None:
    """The permission a route requires (None for public routes)."""
    for dep in route.dependant.dependencies:
        if isinstance(dep.call, Requirement):
            return dep.call.permission
    return None

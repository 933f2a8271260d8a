"""Authentication and the one permission check every route makes.

A request is authenticated by an API token (``Authorization: Bearer sft_...``) or a web session
(the ``shopfloor_session`` cookie, HttpOnly, SameSite=Strict). A request authenticated by the
cookie that may change state (any method but GET, HEAD, OPTIONS) must also carry the session's
CSRF token in the ``X-CSRF-Token`` header. Each route declares its one permission with
``Annotated[Principal, require(Permission.X)]``: 401 without a valid credential, 403 when the
role does not hold the permission. Denied requests change nothing and are not audited (they are
logged).

An API token that resolved is remembered for :data:`TOKEN_CACHE_S` seconds (by a digest of the
token, never the token itself), so a client sending many requests costs one auth-store look-up
per second. Every request that may change state (any method but GET, HEAD, OPTIONS) empties the
cache before it runs, so a token revoked or a user disabled through this API is refused from
the next request on; a change made elsewhere (the ``shopfloor user`` CLI, another process) or a
token's expiry takes effect at most :data:`TOKEN_CACHE_S` seconds late. Refusals are not
remembered.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
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
#: How long a resolved API token is trusted without asking the auth store again (seconds): the
#: bound on how late a revocation, expiry or disabled user takes effect.
TOKEN_CACHE_S = 1.0
#: Most tokens remembered at once (the oldest are dropped first).
TOKEN_CACHE_SIZE = 4096

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


class TokenCache:
    """Resolved API tokens for :data:`TOKEN_CACHE_S` seconds (thread-safe)."""

    def __init__(self, ttl_s: float = TOKEN_CACHE_S, size: int = TOKEN_CACHE_SIZE) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._lock = threading.Lock()
        self._found: dict[bytes, tuple[float, Principal]] = {}

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, key: bytes) -> Principal | None:
        hit = self._found.get(key)
        if hit is None:
            return None
        if time.monotonic() >= hit[0]:
            with self._lock:
                self._found.pop(key, None)
            return None
        return hit[1]

    def clear(self) -> None:
        with self._lock:
            self._found.clear()

    def put(self, key: bytes, who: Principal) -> None:
        with self._lock:
            while len(self._found) >= self.size:
                del self._found[next(iter(self._found))]
            self._found[key] = (time.monotonic() + self.ttl_s, who)


def token_cache(request: Request) -> TokenCache:
    """The app's token cache (made at its first use)."""
    state = request.app.state
    cache: TokenCache | None = getattr(state, "token_cache", None)
    if cache is None:
        cache = state.token_cache = TokenCache()
    return cache


def _session(ctx: ApiContext, method: str, session_id: str | None, csrf: str | None) -> Principal:
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
    cache = token_cache(request)
    if request.method not in SAFE_METHODS:
        cache.clear()  # the request may revoke a token or disable a user
    if token is not None:
        key = cache.key(token)
        who = cache.get(key)
        if who is None:
            who = await run_in_threadpool(ctx.auth.tokens.resolve, token)
            cache.put(key, who)
    else:
        csrf = request.headers.get(CSRF_HEADER)
        who = await run_in_threadpool(_session, ctx, request.method, session_id, csrf)
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

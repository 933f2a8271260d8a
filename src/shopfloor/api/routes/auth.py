"""Log in and out (web sessions), who am I, and one's own API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shopfloor.api.common import ERRORS, Page, Paging
from shopfloor.api.context import ApiContext
from shopfloor.api.requestid import current_request_id
from shopfloor.api.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    context,
    require,
)
from shopfloor.auth.audit import iso, plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission, Role
from shopfloor.auth.tokens import MAX_TTL_S
from shopfloor.errors import BadInput

router = APIRouter(tags=["auth"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
RoleName = Annotated[str, Field(pattern="^(viewer|operator|engineer|admin)$")]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    username: str
    role: str
    via: str
    csrf_token: str | None = Field(
        None, description="send it as X-CSRF-Token with every write made with the cookie"
    )
    expires: str | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="what the token is for")
    role: RoleName | None = Field(None, description="a lower role than yours (default: yours)")
    ttl_s: float | None = Field(None, gt=0, le=MAX_TTL_S, allow_inf_nan=False)


class TokenOut(BaseModel):
    id: str
    user: str
    name: str
    role: str
    created: str
    expires: str | None
    last_used: str | None
    revoked: str | None


class NewToken(TokenOut):
    token: str = Field(description="the token itself: shown this once, stored only hashed")


@router.post("/auth/login", response_model=SessionOut)
async def login(body: Login, request: Request, response: Response, ctx: Ctx) -> dict[str, Any]:
    """Check a username and password; set the session cookie (HttpOnly, SameSite=Strict)."""
    user = await run_in_threadpool(ctx.auth.users.authenticate, body.username, body.password)
    new = await run_in_threadpool(ctx.auth.sessions.create, user)
    max_age = max(1, (new.expires_ns - ctx.clock.now_ns()) // 10**9)
    secure = ctx.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        new.session_id,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, new.csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure
    )
    return {
        "username": user.username,
        "role": user.role,
        "via": "session",
        "csrf_token": new.csrf,
        "expires": iso(new.expires_ns),
    }


@router.post("/auth/logout", status_code=204)
async def logout(
    request: Request,
    response: Response,
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.READ)],
) -> Response:
    """End the web session (cookie) of the caller."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if who.via == "session" and session_id:
        await run_in_threadpool(ctx.auth.sessions.end, session_id)
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/")
    out.delete_cookie(CSRF_COOKIE, path="/")
    return out


@router.get("/auth/session", response_model=SessionOut)
def session(who: Annotated[Principal, require(Permission.READ)]) -> dict[str, Any]:
    """Who the caller is, with the CSRF token of its web session."""
    return {
        "username": who.username,
        "role": who.role.label,
        "via": who.via,
        "csrf_token": who.csrf,
    }


@router.get("/tokens", response_model=Page[TokenOut])
def my_tokens(
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.TOKEN_OWN)],
    paging: Annotated[Paging, Depends()],
) -> dict[str, Any]:
    """The caller's API tokens (never their secrets), newest first."""
    return paging.page([t.to_dict(u) for t, u in ctx.auth.tokens.list(who.username)])


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(
    body: TokenIn, ctx: Ctx, who: Annotated[Principal, require(Permission.TOKEN_OWN)]
) -> dict[str, Any]:
    """Make an API token for the caller; the answer holds the token, shown only this once."""
    role = Role.parse(body.role) if body.role is not None else who.role
    if role > who.role:
        raise BadInput(
            f"role: you act as {who.role.label}; a token you make cannot be {role.label}",
            field="role",
        )
    token, row = ctx.auth.tokens.create(
        who.username,
        body.name,
        role=role,
        ttl_s=body.ttl_s,
        by=who,
        request_id=current_request_id(),
    )
    return plain(row.to_dict(who.username)) | {"token": token}


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(
    token_id: Annotated[str, Path(max_length=32)],
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.TOKEN_OWN)],
) -> dict[str, Any]:
    """Revoke one of the caller's tokens (an admin may revoke anyone's)."""
    row = ctx.auth.tokens.revoke(token_id, by=who, request_id=current_request_id())
    owner = next((u for t, u in ctx.auth.tokens.list() if t.id == row.id), "")
    return plain(row.to_dict(owner))

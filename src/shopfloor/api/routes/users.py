"""User administration (admin) and the audit log (engineer and admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Page, Paging, instant
from shopfloor.api.context import ApiContext
from shopfloor.api.requestid import current_request_id
from shopfloor.api.security import context, require
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission, Role
from shopfloor.auth.secrets import MAX_PASSWORD

router = APIRouter(responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Admin = Annotated[Principal, require(Permission.USER_ADMIN)]
Username = Annotated[str, Path(min_length=1, max_length=64)]
RoleName = Annotated[str, Field(pattern="^(viewer|operator|engineer|admin)$")]


class UserOut(BaseModel):
    username: str
    role: str
    disabled: bool
    created: str
    password_changed: str


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: RoleName
    password: str | None = Field(
        None, max_length=MAX_PASSWORD, description="omit to have one generated (shown once)"
    )


class UserChange(BaseModel):
    role: RoleName | None = None
    disabled: bool | None = None


class PasswordIn(BaseModel):
    password: str | None = Field(
        None, max_length=MAX_PASSWORD, description="omit to have one generated (shown once)"
    )


class Credential(BaseModel):
    username: str
    password: str | None = Field(description="the generated password, shown once (null if given)")


class AuditOut(BaseModel):
    id: int
    ts: str
    actor: str
    via: str
    role: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    note: str


@router.get("/users", response_model=Page[UserOut], tags=["users"])
def list_users(ctx: Ctx, who: Admin, paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
    return paging.page([u.to_dict() for u in ctx.auth.users.list()])


@router.post("/users", response_model=Credential, status_code=201, tags=["users"])
def add_user(body: UserIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    """Add a user; without a password one is generated and returned once."""
    _user, generated = ctx.auth.users.add(
        body.username, Role.parse(body.role), body.password, by=who, request_id=current_request_id()
    )
    return {"username": body.username, "password": generated}


@router.patch("/users/{username}", response_model=UserOut, tags=["users"])
def change_user(username: Username, body: UserChange, ctx: Ctx, who: Admin) -> dict[str, Any]:
    """Change a user's role or disable / enable them (each change audited)."""
    rid = current_request_id()
    user = ctx.auth.users.get(username)
    if body.role is not None:
        user = ctx.auth.users.set_role(username, Role.parse(body.role), by=who, request_id=rid)
    if body.disabled is not None:
        user = ctx.auth.users.set_disabled(username, body.disabled, by=who, request_id=rid)
    return plain(user.to_dict())


@router.post("/users/{username}/password", response_model=Credential, tags=["users"])
def reset_password(username: Username, body: PasswordIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    """Set a user's password (generated when omitted); their web sessions end."""
    generated = ctx.auth.users.set_password(
        username, body.password, by=who, request_id=current_request_id()
    )
    return {"username": username, "password": generated}


@router.get("/audit", response_model=Page[AuditOut], tags=["audit"])
def audit_log(
    ctx: Ctx,
    who: Annotated[Principal, require(Permission.AUDIT_READ)],
    paging: Annotated[Paging, Depends()],
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="exact, or a prefix ending in '.'")
    ] = None,
    target: Annotated[
        str | None, Query(max_length=255, description="exact, or a prefix ending in '/'")
    ] = None,
    since: Annotated[str | None, Query(description="ISO 8601 instant (inclusive)")] = None,
    until: Annotated[str | None, Query(description="ISO 8601 instant (exclusive)")] = None,
) -> dict[str, Any]:
    """The audit log, newest first: who did what, when, with the state before and after."""
    rows = ctx.auth.audit.query(
        actor=actor,
        action=action,
        target=target,
        since_ns=instant(since, "since"),
        until_ns=instant(until, "until"),
        limit=paging.limit + 1,
        offset=paging.offset,
    )
    return paging.page([r.to_dict() for r in rows], skipped=True)

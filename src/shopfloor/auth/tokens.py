"""API tokens for machines and scripts: ``Authorization: Bearer sft_<id>_<secret>``.

A token belongs to a user and acts with its own role or its user's, whichever is lower (a token
made for a dashboard wall can be a viewer's even when its owner is an engineer). The token is
returned once, when it is made; only its digest is stored. Revoked, expired tokens and tokens of
disabled users are refused. ``last_used`` is written at most once a minute per token.
"""

from __future__ import annotations

import builtins
import re

from sqlalchemy import select

from shopfloor.auth.audit import AuditLog
from shopfloor.auth.db import Database
from shopfloor.auth.errors import Forbidden, Unauthenticated, UserNotFound
from shopfloor.auth.models import ApiToken, User
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Role
from shopfloor.auth.secrets import new_token, same_digest, split_token
from shopfloor.auth.users import get_user
from shopfloor.clock import NS_PER_S, Clock
from shopfloor.errors import BadInput

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:@-]{0,63}$")
MAX_TTL_S = 366 * 24 * 3600
TOUCH_EVERY_NS = 60 * NS_PER_S
BAD_TOKEN = "bearer token: unknown, revoked or expired token"


class Tokens:
    """API tokens (each write is one audited transaction)."""

    def __init__(self, db: Database, clock: Clock, audit: AuditLog) -> None:
        self.db, self.clock, self.audit = db, clock, audit

    def create(
        self,
        username: str,
        name: str,
        *,
        role: Role | None = None,
        ttl_s: float | None = None,
        by: Principal,
        request_id: str = "",
    ) -> tuple[str, ApiToken]:
        """A new token for ``username``: ``(token, row)``; the token is not kept anywhere."""
        if not NAME_RE.match(name):
            raise BadInput(
                f"name: {name!r} must be 1-64 letters, digits, spaces and _ . : @ -", field="name"
            )
        if ttl_s is not None and not 0 < ttl_s <= MAX_TTL_S:
            raise BadInput(
                f"ttl: must be > 0 and at most {MAX_TTL_S} s (366 days), got {ttl_s}", field="ttl"
            )
        token, token_id, secret_hash = new_token()
        now = self.clock.now_ns()
        with self.db.tx() as s:
            user = get_user(s, username)
            user_role = Role.parse(user.role)
            if role is not None and role > user_role:
                raise BadInput(
                    f"role: a token of {username!r} ({user_role.label}) cannot be {role.label}",
                    field="role",
                )
            row = ApiToken(
                id=token_id,
                user_id=user.id,
                name=name,
                role=(role or user_role).label,
                secret_hash=secret_hash,
                created_ns=now,
                expires_ns=None if ttl_s is None else now + round(ttl_s * NS_PER_S),
                last_used_ns=None,
                revoked_ns=None,
            )
            s.add(row)
            s.flush()
            self.audit.record(
                by,
                "token.create",
                f"token/{token_id}",
                None,
                row.to_dict(username),
                request_id=request_id,
                session=s,
            )
        return token, row

    def revoke(self, token_id: str, *, by: Principal, request_id: str = "") -> ApiToken:
        """Revoke a token: its owner's own, or anyone's for a user admin."""
        with self.db.tx() as s:
            row = s.get(ApiToken, token_id)
            owner = s.get(User, row.user_id) if row is not None else None
            if row is None or owner is None:
                raise UserNotFound(f"token: no token {token_id!r}", field="token")
            if owner.username != by.username and by.role < Role.ADMIN:
                raise Forbidden(f"token: {token_id!r} belongs to another user")
            before = row.to_dict(owner.username)
            if row.revoked_ns is None:
                row.revoked_ns = self.clock.now_ns()
            self.audit.record(
                by,
                "token.revoke",
                f"token/{token_id}",
                before,
                row.to_dict(owner.username),
                request_id=request_id,
                session=s,
            )
        return row

    def list(self, username: str | None = None) -> builtins.list[tuple[ApiToken, str]]:
        """Tokens (of one user, or all) with their owner's name, newest first."""
        q = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
        if username is not None:
            q = q.where(User.username == username)
        with self.db.tx() as s:
            return [(t, u) for t, u in s.execute(q.order_by(ApiToken.created_ns.desc()))]

    def resolve(self, token: str) -> Principal:
        """The principal a bearer token stands for; :class:`Unauthenticated` otherwise."""
        parts = split_token(token)
        if parts is None:
            raise Unauthenticated("bearer token: not a shopfloor API token (sft_<id>_<secret>)")
        token_id, secret = parts
        now = self.clock.now_ns()
        with self.db.tx() as s:
            found = s.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.id == token_id)
            ).first()
            if found is None:
                raise Unauthenticated(BAD_TOKEN)
            row, user = found
            if (
                not same_digest(secret, row.secret_hash)
                or row.revoked_ns is not None
                or (row.expires_ns is not None and row.expires_ns <= now)
                or user.disabled
            ):
                raise Unauthenticated(BAD_TOKEN)
            if row.last_used_ns is None or now - row.last_used_ns >= TOUCH_EVERY_NS:
                row.last_used_ns = now
            role = min(Role.parse(row.role), Role.parse(user.role))
            return Principal(user.username, role, "token", user_id=user.id, token_id=row.id)

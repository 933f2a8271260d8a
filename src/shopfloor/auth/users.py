"""Users: add, change password or role, disable; authenticate by password.

Every change is audited in the same transaction (the password hash never appears in the audit
log; a password change shows as ``password_changed``). The last enabled admin can be neither
demoted nor disabled, so the platform always has someone who can manage users.
"""

from __future__ import annotations

import builtins
import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shopfloor.auth.audit import AuditLog
from shopfloor.auth.db import Database
from shopfloor.auth.errors import Unauthenticated, UserConflict, UserNotFound
from shopfloor.auth.models import ApiToken, User, WebSession
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Role
from shopfloor.auth.secrets import (
    dummy_hash,
    hash_password,
    needs_rehash,
    new_password,
    verify_password,
)
from shopfloor.clock import Clock
from shopfloor.errors import BadInput

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")


def check_username(name: str) -> str:
    if not USERNAME_RE.match(name):
        raise BadInput(
            f"username: {name!r} must be 1-64 characters of a-z, 0-9, '_', '.', '@' and '-', "
            "starting with a letter or digit",
            field="username",
        )
    return name


def get_user(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise UserNotFound(f"user: no user {username!r}", field="username", value=username)
    return user


class Users:
    """The user table (each call is one transaction, audited)."""

    def __init__(self, db: Database, clock: Clock, audit: AuditLog) -> None:
        self.db, self.clock, self.audit = db, clock, audit

    def add(
        self,
        username: str,
        role: Role,
        password: str | None = None,
        *,
        by: Principal,
        request_id: str = "",
    ) -> tuple[User, str | None]:
        """Add a user; without ``password`` one is generated and returned (shown once)."""
        check_username(username)
        generated = new_password() if password is None else None
        hashed = hash_password(password if password is not None else str(generated))
        now = self.clock.now_ns()
        with self.db.tx() as s:
            if s.scalars(select(User.id).where(User.username == username)).first() is not None:
                raise UserConflict(f"user: {username!r} exists already", field="username")
            user = User(
                username=username,
                role=role.label,
                password_hash=hashed,
                disabled=False,
                created_ns=now,
                password_changed_ns=now,
            )
            s.add(user)
            s.flush()
            self.audit.record(
                by,
                "user.add",
                f"user/{username}",
                None,
                user.to_dict(),
                request_id=request_id,
                session=s,
            )
        return user, generated

    def set_password(
        self, username: str, password: str | None = None, *, by: Principal, request_id: str = ""
    ) -> str | None:
        """Set a new password (generated and returned when not given); ends the user's sessions."""
        generated = new_password() if password is None else None
        hashed = hash_password(password if password is not None else str(generated))
        with self.db.tx() as s:
            user = get_user(s, username)
            before = user.to_dict()
            user.password_hash = hashed
            user.password_changed_ns = self.clock.now_ns()
            s.execute(update(WebSession).where(WebSession.user_id == user.id).values(expires_ns=0))
            self.audit.record(
                by,
                "user.password",
                f"user/{username}",
                before,
                user.to_dict(),
                request_id=request_id,
                session=s,
            )
        return generated

    def set_role(self, username: str, role: Role, *, by: Principal, request_id: str = "") -> User:
        with self.db.tx() as s:
            user = get_user(s, username)
            before = user.to_dict()
            if Role.parse(user.role) is Role.ADMIN and role is not Role.ADMIN:
                self._keep_an_admin(s, user)
            user.role = role.label
            self.audit.record(
                by,
                "user.role",
                f"user/{username}",
                before,
                user.to_dict(),
                request_id=request_id,
                session=s,
            )
        return user

    def set_disabled(
        self, username: str, disabled: bool, *, by: Principal, request_id: str = ""
    ) -> User:
        """Disable (its sessions end, its tokens stop working) or enable a user."""
        with self.db.tx() as s:
            user = get_user(s, username)
            before = user.to_dict()
            if disabled and Role.parse(user.role) is Role.ADMIN:
                self._keep_an_admin(s, user)
            user.disabled = disabled
            if disabled:
                s.execute(
                    update(WebSession).where(WebSession.user_id == user.id).values(expires_ns=0)
                )
            self.audit.record(
                by,
                "user.disable" if disabled else "user.enable",
                f"user/{username}",
                before,
                user.to_dict(),
                request_id=request_id,
                session=s,
            )
        return user

    @staticmethod
    def _keep_an_admin(s: Session, user: User) -> None:
        others = s.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.label, User.disabled.is_(False), User.id != user.id)
        )
        if not others:
            raise UserConflict(
                f"user: {user.username!r} is the last enabled admin; make another admin first",
                field="username",
            )

    def get(self, username: str) -> User:
        with self.db.tx() as s:
            return get_user(s, username)

    def list(self) -> builtins.list[User]:
        with self.db.tx() as s:
            return list(s.scalars(select(User).order_by(User.username)))

    def count_admins(self) -> int:
        with self.db.tx() as s:
            q = (
                select(func.count())
                .select_from(User)
                .where(User.role == Role.ADMIN.label, User.disabled.is_(False))
            )
            return int(s.scalar(q) or 0)

    def authenticate(self, username: str, password: str) -> User:
        """The user whose password this is; :class:`Unauthenticated` (one message for an unknown
        user, a wrong password or a disabled user, so none can be told apart)."""
        with self.db.tx() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
            if user is None:
                verify_password(dummy_hash(), password)
                raise Unauthenticated("login: wrong username or password")
            if not verify_password(user.password_hash, password) or user.disabled:
                raise Unauthenticated("login: wrong username or password")
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            return user

    def tokens_of(self, username: str) -> builtins.list[ApiToken]:
        with self.db.tx() as s:
            user = get_user(s, username)
            q = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_ns)
            return list(s.scalars(q))

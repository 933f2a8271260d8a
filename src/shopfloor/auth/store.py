"""The auth store: users, API tokens, web sessions and the audit log over one database.

``open_auth(url, clock=...)`` opens (creating what is missing) the database and returns an
:class:`AuthStore` whose attributes are the parts. :meth:`AuthStore.first_admin` gives a fresh
admin credential for ``shopfloor demo`` (no default password exists anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from shopfloor.auth.audit import AuditLog
from shopfloor.auth.db import Database, create_schema, make_engine
from shopfloor.auth.models import User
from shopfloor.auth.principal import Principal, system
from shopfloor.auth.roles import Role
from shopfloor.auth.sessions import Sessions
from shopfloor.auth.tokens import Tokens
from shopfloor.auth.users import Users
from shopfloor.clock import Clock, WallClock


@dataclass(frozen=True, slots=True)
class Credential:
    username: str
    password: str


class AuthStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock)
        self.users = Users(db, clock, self.audit)
        self.tokens = Tokens(db, clock, self.audit)
        self.sessions = Sessions(db, clock)

    @property
    def url(self) -> str:
        return self.db.engine.url.render_as_string()

    def first_admin(self, username: str = "admin", *, by: Principal | None = None) -> Credential:
        """A new random password for ``username`` (created as admin when missing, made admin
        and enabled when not), audited as ``by`` (default: the system)."""
        who = by or system()
        with self.db.tx() as s:
            exists = s.scalars(select(User).where(User.username == username)).first() is not None
        if not exists:
            _user, password = self.users.add(username, Role.ADMIN, by=who)
        else:
            password = self.users.set_password(username, by=who)
            user = self.users.get(username)
            if user.role != Role.ADMIN.label:
                self.users.set_role(username, Role.ADMIN, by=who)
            if user.disabled:
                self.users.set_disabled(username, False, by=who)
        assert password is not None
        return Credential(username, password)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> AuthStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_auth(url: str, *, clock: Clock | None = None) -> AuthStore:
    """Open the auth database at ``url`` (``sqlite:///path`` or ``postgresql://...``)."""
    engine = make_engine(url)
    create_schema(engine)
    return AuthStore(Database(engine), clock or WallClock())

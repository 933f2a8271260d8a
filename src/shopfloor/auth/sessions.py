"""Web sessions: a random id in an HttpOnly cookie and a CSRF token that writes send back.

A session lives :data:`SESSION_TTL_S` after its last use (renewed at most once a minute) and
ends at logout, at a password change and when its user is disabled. The cookie holds the id;
the store keeps only its digest, with the session's CSRF token (synchronizer token pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from shopfloor.auth.db import Database
from shopfloor.auth.models import User, WebSession
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Role
from shopfloor.auth.secrets import digest, new_csrf_token, new_session_id
from shopfloor.clock import NS_PER_S, Clock

SESSION_TTL_S = 12 * 3600
RENEW_EVERY_NS = 60 * NS_PER_S


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str
    csrf: str
    expires_ns: int


class Sessions:
    def __init__(self, db: Database, clock: Clock, ttl_s: float = SESSION_TTL_S) -> None:
        self.db, self.clock = db, clock
        self.ttl_ns = round(ttl_s * NS_PER_S)

    def create(self, user: User) -> NewSession:
        session_id, csrf = new_session_id(), new_csrf_token()
        now = self.clock.now_ns()
        with self.db.tx() as s:
            s.execute(delete(WebSession).where(WebSession.expires_ns <= now))
            s.add(
                WebSession(
                    id_hash=digest(session_id),
                    user_id=user.id,
                    csrf=csrf,
                    created_ns=now,
                    expires_ns=now + self.ttl_ns,
                    last_seen_ns=now,
                )
            )
        return NewSession(session_id, csrf, now + self.ttl_ns)

    def resolve(self, session_id: str) -> Principal | None:
        """The principal of a live session (with its CSRF token), or None."""
        now = self.clock.now_ns()
        with self.db.tx() as s:
            found = s.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.id_hash == digest(session_id))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.expires_ns <= now or user.disabled:
                return None
            if now - row.last_seen_ns >= RENEW_EVERY_NS:
                row.last_seen_ns, row.expires_ns = now, now + self.ttl_ns
            return Principal(
                user.username, Role.parse(user.role), "session", user_id=user.id, csrf=row.csrf
            )

    def end(self, session_id: str) -> None:
        with self.db.tx() as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == digest(session_id)))

"""Tables of users, API tokens, web sessions and the audit log (all named ``auth_*``).

Secrets are never stored: passwords as argon2 hashes, API tokens and session ids as SHA-256
digests of random 256-bit values (a digest is enough for a secret that is not guessable; the
slow hash protects the guessable ones, passwords). Instants are integer ns since the epoch (UTC).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Integer key that is SQLite's rowid there and a 64-bit integer elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AuthBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class User(AuthBase):
    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    password_changed_ns: Mapped[int] = mapped_column(BigInteger)

    def to_dict(self) -> dict[str, Any]:
        """The user as shown (and audited): never the password hash."""
        return {
            "username": self.username,
            "role": self.role,
            "disabled": self.disabled,
            "created_ns": self.created_ns,
            "password_changed_ns": self.password_changed_ns,
        }


class ApiToken(AuthBase):
    __tablename__ = "auth_token"

    #: The public part of the token (``sft_<id>_<secret>``), used to find its row.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The token acts with this role or its user's, whichever is lower.
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_ns: Mapped[int] = mapped_column(BigInteger)
    expires_ns: Mapped[int | None] = mapped_column(BigInteger)
    last_used_ns: Mapped[int | None] = mapped_column(BigInteger)
    revoked_ns: Mapped[int | None] = mapped_column(BigInteger)

    def to_dict(self, username: str = "") -> dict[str, Any]:
        return {
            "id": self.id,
            "user": username,
            "name": self.name,
            "role": self.role,
            "created_ns": self.created_ns,
            "expires_ns": self.expires_ns,
            "last_used_ns": self.last_used_ns,
            "revoked_ns": self.revoked_ns,
        }


class WebSession(AuthBase):
    __tablename__ = "auth_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_ns: Mapped[int] = mapped_column(BigInteger)
    expires_ns: Mapped[int] = mapped_column(BigInteger)
    last_seen_ns: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(AuthBase):
    """One write: who, when, what, the state before and after. Rows are never changed."""

    __tablename__ = "auth_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts_ns: Mapped[int] = mapped_column(BigInteger, index=True)
    #: The plant's time of the write (the served plant's clock; None: no plant clock given).
    plant_ts_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    #: ``session`` (web), ``token`` (API token), ``cli`` (the shopfloor command), ``system``.
    via: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts_ns": self.ts_ns,
            "plant_ts_ns": self.plant_ts_ns,
            "actor": self.actor,
            "via": self.via,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
            "note": self.note,
        }

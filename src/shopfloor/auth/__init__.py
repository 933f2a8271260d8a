"""Users, roles, web sessions, API tokens and the append-only audit log.

Open the store with :func:`open_auth`; roles and the permission table are in
:mod:`shopfloor.auth.roles`. See ``docs/api.md`` (Authentication, Roles, Audit).
"""

from shopfloor.auth.audit import AuditLog, plain
from shopfloor.auth.errors import (
    AuthError,
    CsrfFailed,
    Forbidden,
    Unauthenticated,
    UserConflict,
    UserNotFound,
)
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import PERMISSIONS, Permission, Role, permission_table
from shopfloor.auth.store import AuthStore, Credential, open_auth

__all__ = [
    "PERMISSIONS",
    "AuditLog",
    "AuthError",
    "AuthStore",
    "Credential",
    "CsrfFailed",
    "Forbidden",
    "Permission",
    "Principal",
    "Role",
    "Unauthenticated",
    "UserConflict",
    "UserNotFound",
    "open_auth",
    "permission_table",
    "plain",
]

"""Errors of authentication and authorisation (stable codes; the API maps them to 401/403)."""

from __future__ import annotations

from shopfloor.errors import BadInput, ShopfloorError


class AuthError(ShopfloorError):
    code = "auth.error"


class Unauthenticated(AuthError, BadInput):
    """No credential, or one that is wrong, expired or revoked (HTTP 401)."""

    code = "auth.unauthenticated"


class Forbidden(AuthError, BadInput):
    """The caller is known but its role does not hold the permission (HTTP 403)."""

    code = "auth.forbidden"


class CsrfFailed(Forbidden):
    """A cookie-authenticated write without the session's CSRF token (HTTP 403)."""

    code = "auth.csrf"


class UserConflict(AuthError, BadInput):
    """The user exists already, or the change would leave no enabled admin (HTTP 409)."""

    code = "auth.conflict"


class UserNotFound(AuthError, BadInput):
    code = "auth.not_found"

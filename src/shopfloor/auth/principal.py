"""Who is asking: a user through a web session, an API token, the CLI, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.auth.roles import Permission, Role, allows


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    role: Role
    #: ``session`` (web), ``token`` (API token), ``cli`` (the shopfloor command), ``system``.
    via: str
    user_id: int | None = None
    token_id: str | None = None
    #: The session's CSRF token (web sessions only): writes must send it back in a header.
    csrf: str | None = None

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)


def system(name: str = "system") -> Principal:
    """The platform acting on its own behalf (bootstrap, demo start)."""
    return Principal(name, Role.ADMIN, "system")


def cli(username: str = "cli") -> Principal:
    """Someone at the machine running ``shopfloor user ...`` (shell access is admin)."""
    return Principal(username, Role.ADMIN, "cli")

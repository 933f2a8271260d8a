"""Roles and the permission table: who may do what, in one place.

Roles are ordered: ``viewer < operator < engineer < admin``; a role holds every permission of
the roles below it. Each permission names the lowest role that holds it. The API guards every
route with exactly one permission (:func:`shopfloor.api.security.require`), and
``docs/api.md`` shows :func:`permission_table` (a test keeps the page in step).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from shopfloor.errors import BadInput


class Role(IntEnum):
    """A user's role; a higher role holds every permission of the lower ones."""

    VIEWER = 1
    OPERATOR = 2
    ENGINEER = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str, what: str = "role") -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.label for r in cls)
            raise BadInput(
                f"{what}: unknown role {text!r}; use one of {names}", field=what
            ) from None


class Permission(StrEnum):
    READ = "read"
    ALARM_RESPOND = "alarm.respond"
    PRODUCTION_REPORT = "production.report"
    QUALITY_RECORD = "quality.record"
    ORDER_EDIT = "order.edit"
    DISPATCH_EDIT = "dispatch.edit"
    SCHEDULE_EDIT = "schedule.edit"
    QUALITY_EDIT = "quality.edit"
    ASSESSMENT_EDIT = "assessment.edit"
    AUDIT_READ = "audit.read"
    TOKEN_OWN = "token.own"
    USER_ADMIN = "user.admin"


#: Permission -> (lowest role holding it, what it allows).
PERMISSIONS: dict[Permission, tuple[Role, str]] = {
    Permission.READ: (
        Role.VIEWER,
        "read the plant, tags, history, live values, orders, dispatch lists, genealogy, "
        "quality and SPC, alarms, downtime, KPIs, maintenance health, schedules, assessment "
        "answers and runs, status",
    ),
    Permission.TOKEN_OWN: (Role.VIEWER, "create, list and revoke one's own API tokens"),
    Permission.ALARM_RESPOND: (Role.OPERATOR, "acknowledge, shelve and unshelve alarms"),
    Permission.PRODUCTION_REPORT: (
        Role.OPERATOR,
        "report counts and downtime of equipment that is not networked; assign downtime reasons; "
        "close maintenance work orders",
    ),
    Permission.QUALITY_RECORD: (Role.OPERATOR, "record inspection results"),
    Permission.ORDER_EDIT: (
        Role.ENGINEER,
        "create, release, hold, resume, complete and abort orders",
    ),
    Permission.DISPATCH_EDIT: (Role.ENGINEER, "set the sequence of a dispatch list"),
    Permission.SCHEDULE_EDIT: (
        Role.ENGINEER,
        "compute schedules and apply them to the dispatch lists",
    ),
    Permission.QUALITY_EDIT: (Role.ENGINEER, "set quality specifications"),
    Permission.ASSESSMENT_EDIT: (
        Role.ENGINEER,
        "answer the maturity self-assessment and run assessments (evidence packs)",
    ),
    Permission.AUDIT_READ: (Role.ENGINEER, "query the audit log"),
    Permission.USER_ADMIN: (
        Role.ADMIN,
        "manage users (add, change role, disable, reset password) and every user's tokens",
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    return role >= PERMISSIONS[permission][0]


def lowest_role(permission: Permission) -> Role:
    return PERMISSIONS[permission][0]


def permission_table() -> str:
    """The permission table as Markdown (``docs/api.md``)."""
    roles = list(Role)
    head = "| permission | allows | " + " | ".join(r.label for r in roles) + " |"
    rows = [head, "|---|---|" + "---|" * len(roles)]
    for perm, (lowest, text) in PERMISSIONS.items():
        marks = " | ".join("yes" if r >= lowest else "-" for r in roles)
        rows.append(f"| `{perm.value}` | {text} | {marks} |")
    return "\n".join(rows) + "\n"

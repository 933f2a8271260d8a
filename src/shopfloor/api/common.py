"""What every router shares: pagination, instants in query strings, the audit call, models.

Lists are pages: ``?limit=`` (1..1000, default 100) and ``?offset=``; the answer is
``{"items": [...], "limit", "offset", "next_offset"}`` where ``next_offset`` is null on the last
page. Instants are ISO 8601 with a zone (``2025-01-06T06:00:00Z``) in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, Field

from shopfloor.api.context import ApiContext
from shopfloor.api.requestid import current_request_id
from shopfloor.auth.audit import plain
from shopfloor.auth.principal import Principal
from shopfloor.errors import BadInput
from shopfloor.historian.spans import to_instant

MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
#: Largest id a path accepts (ids are 63-bit integers in every database).
MAX_ID = 2**62

T = TypeVar("T")


class ErrorBody(BaseModel):
    """The one error shape."""

    code: str = Field(description="stable error code, e.g. input.validation, auth.forbidden")
    message: str = Field(description="what is wrong, naming the field or object")
    details: dict[str, Any] = Field(default_factory=dict)


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (401, "not authenticated"),
        (403, "role lacks the permission, or CSRF token missing"),
        (404, "not found"),
        (409, "conflict or illegal state transition"),
        (422, "bad input (names the field)"),
        (503, "service not run by this server"),
    )
}


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class Paging:
    """``?limit=&offset=`` as a dependency."""

    def __init__(
        self,
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description="items per page"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="items to skip"),
    ) -> None:
        self.limit = limit
        self.offset = offset

    @property
    def fetch(self) -> int:
        """How many rows to read from a store that pages itself: one more than a page, to
        tell whether another page follows."""
        return self.offset + self.limit + 1

    def page(self, items: Sequence[Any], *, skipped: bool = False) -> dict[str, Any]:
        """A page of ``items`` (all items, or with ``skipped`` the items from the offset on)."""
        rows = list(items) if skipped else list(items[self.offset :])
        more = len(rows) > self.limit
        return {
            "items": [plain(r) for r in rows[: self.limit]],
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.offset + self.limit if more else None,
        }


#: Instants the stores can hold: 1970-01-01 up to 2262 (64-bit nanoseconds).
MAX_NS = 2**63 - 1


def instant(value: str | None, what: str) -> int | None:
    """An ISO 8601 instant from a query string -> ns; BadInput naming ``what``."""
    if value is None:
        return None
    ns = to_instant(value, what)
    if not 0 <= ns <= MAX_NS:
        raise BadInput(f"{what}: {value!r} is outside 1970-01-01 .. 2262-04-11", field=what)
    return ns


def need_instant(value: str, what: str) -> int:
    ns = instant(value, what)
    assert ns is not None
    return ns


def audit(
    ctx: ApiContext,
    who: Principal,
    action: str,
    target: str,
    before: Any,
    after: Any,
    note: str = "",
) -> None:
    """Append the write to the audit log with the request id."""
    ctx.auth.audit.record(
        who, action, target, before, after, request_id=current_request_id(), note=note
    )


def client_host(request: Request) -> str:
    return request.client.host if request.client is not None else ""

"""One small error hierarchy with stable codes.

Every error the platform raises on purpose derives from :class:`ShopfloorError` and carries a
stable ``code`` (``<layer>.<what>``) that the CLI, the API and logs use unchanged. The CLI exits
with status 2 for :class:`BadInput` errors (the user can fix the input) and 1 for anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ShopfloorError(Exception):
    """Base of every error the platform raises on purpose."""

    code: str = "shopfloor.error"
    #: True when the caller gave something wrong (CLI exit 2, HTTP 4xx).
    bad_input: bool = False

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}


class BadInput(ShopfloorError):
    """The caller's input is wrong; the message names what is wrong."""

    code = "input.invalid"
    bad_input = True


class ValidationFailed(BadInput):
    """A document (plant file, answers, settings) has one or more errors, each with its path."""

    code = "input.validation"

    def __init__(self, what: str, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {path}: {msg}" if path else f"  {msg}" for path, msg in self.errors)
        super().__init__(
            f"{what}: {len(self.errors)} error(s)\n{lines}",
            errors=[{"path": p, "message": m} for p, m in self.errors],
        )


class ConfigError(BadInput):
    code = "config.invalid"


class PlantError(BadInput):
    code = "plant.invalid"


class NotFound(BadInput):
    code = "input.not_found"


class SimError(ShopfloorError):
    code = "sim.error"


class ConnectorError(ShopfloorError):
    code = "connect.error"


class ConnectorUnavailable(ConnectorError):
    """The device or server cannot be reached; its tags go bad quality."""

    code = "connect.unavailable"


class DecodeError(BadInput):
    """A payload cannot be decoded; ``offset`` is the byte where the decoder could tell."""

    code = "codec.malformed"

    def __init__(self, reason: str, offset: int | None = None, **details: Any) -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(
            f"malformed payload{where}: {reason}", offset=offset, reason=reason, **details
        )
        self.reason = reason
        self.offset = offset


class BusError(ShopfloorError):
    code = "bus.error"


class ScheduleError(ShopfloorError):
    code = "schedule.error"


class MesError(ShopfloorError):
    code = "mes.error"

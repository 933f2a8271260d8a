"""A null-safe absolute deadband for the asyncua server's monitored items.

asyncua 2.1's ``MonitoredItemService._is_deadband_exceeded`` subtracts the old value from the
new one without looking at them: when either is null (our BAD-quality values and every tag's
initial ``BadWaitingForInitialData``) it raises ``TypeError``, asyncua logs it and the
notification is lost. It also lets the deadband swallow a change of status, which OPC UA
Part 4 (DataChangeFilter) says must always be reported. :func:`install` replaces that one
method with :func:`deadband_exceeded`; the server calls it once at start.
"""

from __future__ import annotations

import logging
from typing import Any

from asyncua import ua
from asyncua.server.monitored_item_service import MonitoredItemService

log = logging.getLogger(__name__)


def _number(dv: ua.DataValue) -> float | None:
    value = dv.Value.Value if dv.Value is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def deadband_exceeded(self: Any, values: Any, flt: ua.DataChangeFilter) -> bool:
    cur = values.get_current_datavalue()
    old = values.get_old_datavalue()
    if flt.DeadbandType == ua.DeadbandType.None_ or old is None or cur is None:
        return True
    if cur.StatusCode != old.StatusCode:
        return True  # a change of status always passes the deadband
    a, b = _number(cur), _number(old)
    if a is None or b is None:
        return True  # not numeric (or null): any change is a change
    if flt.DeadbandType == ua.DeadbandType.Absolute:
        return abs(a - b) > flt.DeadbandValue
    return True  # percent deadband needs the EURange; report every change instead


def install() -> None:
    """Use :func:`deadband_exceeded` in every asyncua monitored-item service (idempotent)."""
    if MonitoredItemService._is_deadband_exceeded is not deadband_exceeded:
        MonitoredItemService._is_deadband_exceeded = deadband_exceeded  # type: ignore[method-assign]

"""The server's deadband passes null values and status changes (asyncua 2.1 loses them)."""

from __future__ import annotations

from asyncua import ua

from shopfloor.connect.opcua.deadband import deadband_exceeded


class _Values:
    def __init__(self, old: ua.DataValue | None, cur: ua.DataValue) -> None:
        self.old, self.cur = old, cur

    def get_old_datavalue(self) -> ua.DataValue | None:
        return self.old

    def get_current_datavalue(self) -> ua.DataValue:
        return self.cur


FLT = ua.DataChangeFilter(DeadbandType=ua.DeadbandType.Absolute, DeadbandValue=5.0)
BAD = ua.StatusCode(ua.StatusCodes.Bad)


def dv(value: float | None, status: ua.StatusCode | None = None) -> ua.DataValue:
    variant = ua.Variant(value, ua.VariantType.Double) if value is not None else ua.Variant()
    return ua.DataValue(variant, status or ua.StatusCode(ua.StatusCodes.Good))


def test_small_changes_are_suppressed_and_large_ones_pass() -> None:
    assert not deadband_exceeded(None, _Values(dv(1000.0), dv(1004.0)), FLT)
    assert deadband_exceeded(None, _Values(dv(1000.0), dv(1012.0)), FLT)


def test_null_values_and_status_changes_always_pass() -> None:
    assert deadband_exceeded(None, _Values(dv(None, BAD), dv(1000.0)), FLT)
    assert deadband_exceeded(None, _Values(dv(1000.0), dv(None, BAD)), FLT)
    assert deadband_exceeded(None, _Values(dv(1000.0), dv(1000.0, BAD)), FLT)
    assert deadband_exceeded(None, _Values(None, dv(1000.0)), FLT)

"""The OPC UA methods of every served equipment, forwarded to the plant's :class:`PlantControl`.

=========== ========================================== =====================================
method      input arguments                            plant command
=========== ========================================== =====================================
Start       -                                          ``start``
Stop        -                                          ``stop``
Reset       -                                          ``reset``
Hold        -                                          ``hold``
Unhold      -                                          ``unhold``
Abort       -                                          ``abort``
Clear       -                                          ``clear``
ReceiveJob  OrderId (String), Product (String),        ``job`` with ``order_id``, ``product``,
            Quantity (UInt32)                          ``quantity``
=========== ========================================== =====================================

Every method returns ``Accepted`` (Boolean) and ``Message`` (String). A command the plant refuses
(its :class:`CommandResult` is not ok, or it raises a bad-input error) is a *good* call with
``Accepted`` false and the plant's reason in ``Message``. Bad arguments make the call fail with
``BadArgumentsMissing``, ``BadTooManyArguments`` or ``BadInvalidArgument``, the per-argument
results naming the culprit (``BadTypeMismatch``, ``BadOutOfRange``); ``Quantity`` accepts any
integer type whose value fits UInt32. A failure inside the plant is ``BadInternalError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from asyncua import ua

from shopfloor.errors import ShopfloorError
from shopfloor.sim.outlet import Command, PlantControl

from .uatypes import status, std

log = logging.getLogger(__name__)

_INTEGERS = {
    ua.VariantType.SByte,
    ua.VariantType.Byte,
    ua.VariantType.Int16,
    ua.VariantType.UInt16,
    ua.VariantType.Int32,
    ua.VariantType.UInt32,
    ua.VariantType.Int64,
    ua.VariantType.UInt64,
}
UINT32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class ArgSpec:
    name: str  # OPC UA argument name
    key: str  # key in the command's args
    variant: ua.VariantType
    description: str

    def argument(self) -> ua.Argument:
        return ua.Argument(
            Name=self.name,
            DataType=std(self.variant.value),
            ValueRank=-1,
            Description=ua.LocalizedText(self.description),
        )


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    command: Command
    description: str
    inputs: tuple[ArgSpec, ...] = ()


METHODS: tuple[MethodSpec, ...] = (
    MethodSpec("Start", Command.START, "Start production (PackML Start)"),
    MethodSpec("Stop", Command.STOP, "Stop the equipment (PackML Stop)"),
    MethodSpec("Reset", Command.RESET, "Reset to Idle (PackML Reset)"),
    MethodSpec("Hold", Command.HOLD, "Hold production (PackML Hold)"),
    MethodSpec("Unhold", Command.UNHOLD, "Resume from Held (PackML Unhold)"),
    MethodSpec("Abort", Command.ABORT, "Abort (PackML Abort)"),
    MethodSpec("Clear", Command.CLEAR, "Clear after Aborted (PackML Clear)"),
    MethodSpec(
        "ReceiveJob",
        Command.JOB,
        "Receive a job order dispatched by MES",
        (
            ArgSpec("OrderId", "order_id", ua.VariantType.String, "Job order id"),
            ArgSpec("Product", "product", ua.VariantType.String, "Product id of the plant"),
            ArgSpec("Quantity", "quantity", ua.VariantType.UInt32, "Units to make (>= 1)"),
        ),
    ),
)

OUTPUTS: tuple[ua.Argument, ...] = (
    ua.Argument(
        Name="Accepted",
        DataType=std(ua.ObjectIds.Boolean),
        ValueRank=-1,
        Description=ua.LocalizedText("The plant accepted the command"),
    ),
    ua.Argument(
        Name="Message",
        DataType=std(ua.ObjectIds.String),
        ValueRank=-1,
        Description=ua.LocalizedText("Why the plant refused, or what it did"),
    ),
)


def _check(spec: ArgSpec, arg: ua.Variant) -> tuple[Any, int]:
    """The argument's value and its status code (Good or the reason it is bad)."""
    if spec.variant is ua.VariantType.String:
        if arg.VariantType is not ua.VariantType.String or arg.is_array:
            return None, ua.StatusCodes.BadTypeMismatch
        text = (arg.Value or "").strip()
        return text, ua.StatusCodes.Good if text else ua.StatusCodes.BadOutOfRange
    if arg.VariantType not in _INTEGERS or arg.is_array:
        return None, ua.StatusCodes.BadTypeMismatch
    number = int(arg.Value)
    return (
        number,
        ua.StatusCodes.Good if 1 <= number <= UINT32_MAX else ua.StatusCodes.BadOutOfRange,
    )


class MethodHandler:
    """The callback of one method node of one equipment."""

    def __init__(
        self, control: PlantControl, equipment: str, spec: MethodSpec, stats: Counter[str]
    ) -> None:
        self.control = control
        self.equipment = equipment
        self.spec = spec
        self.stats = stats

    async def call(self, parent: ua.NodeId, *args: ua.Variant) -> Any:
        """The asyncua method callback (the object id, then the input arguments)."""
        spec = self.spec
        if len(args) != len(spec.inputs):
            self.stats["calls_bad_arguments"] += 1
            missing = len(args) < len(spec.inputs)
            return status(
                ua.StatusCodes.BadArgumentsMissing
                if missing
                else ua.StatusCodes.BadTooManyArguments
            )
        values: dict[str, Any] = {}
        results = []
        for arg_spec, arg in zip(spec.inputs, args, strict=True):
            value, code = _check(arg_spec, arg)
            values[arg_spec.key] = value
            results.append(status(code))
        if any(r.is_bad() for r in results):
            self.stats["calls_bad_arguments"] += 1
            return ua.CallMethodResult(
                StatusCode=status(ua.StatusCodes.BadInvalidArgument),
                InputArgumentResults=results,
            )
        try:
            result = await asyncio.to_thread(
                self.control.command, self.equipment, spec.command, values
            )
            accepted, message = result.ok, result.message
        except ShopfloorError as exc:
            if not exc.bad_input:
                return self._failed(exc)
            accepted, message = False, exc.message
        except Exception as exc:
            return self._failed(exc)
        self.stats["calls_accepted" if accepted else "calls_refused"] += 1
        return [
            ua.Variant(accepted, ua.VariantType.Boolean),
            ua.Variant(message, ua.VariantType.String),
        ]

    def _failed(self, exc: BaseException) -> ua.StatusCode:
        self.stats["calls_failed"] += 1
        log.error(
            "%s on %s failed in the plant: %s", self.spec.name, self.equipment, exc, exc_info=exc
        )
        return status(ua.StatusCodes.BadInternalError)

"""Plant commands as calls of the equipment's OPC UA methods (the table in :mod:`.methods`).

:func:`method_call` checks a command's arguments against the method's input arguments before
anything is sent (a missing, unknown or ill-typed argument is a
:class:`~shopfloor.errors.BadInput` naming it); :func:`command_result` reads the outputs
``Accepted`` and ``Message`` back into a :class:`~shopfloor.sim.outlet.CommandResult`. A call
the server refuses as a whole names the culprit arguments from the per-argument results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncua import ua

from shopfloor.errors import BadInput, ConnectorError, NotFound
from shopfloor.sim.outlet import Command, CommandResult

from .client_values import to_variant
from .methods import METHODS, MethodSpec

SPEC_BY_COMMAND: dict[Command, MethodSpec] = {spec.command: spec for spec in METHODS}
SPEC_BY_NAME: dict[str, MethodSpec] = {spec.name: spec for spec in METHODS}
_BAD_ARGUMENTS = {
    ua.StatusCodes.BadInvalidArgument,
    ua.StatusCodes.BadArgumentsMissing,
    ua.StatusCodes.BadTooManyArguments,
    ua.StatusCodes.BadTypeMismatch,
    ua.StatusCodes.BadOutOfRange,
}


def method_spec(command: Command | str) -> MethodSpec:
    """The method of a plant command (``job``) or by its OPC UA name (``ReceiveJob``)."""
    spec = SPEC_BY_NAME.get(str(command))
    if spec is None:
        try:
            spec = SPEC_BY_COMMAND[Command(command)]
        except ValueError:
            known = ", ".join([*SPEC_BY_NAME, *(c.value for c in Command)])
            raise NotFound(f"no OPC UA method for command {command!r} (use {known})") from None
    return spec


def method_call(spec: MethodSpec, args: Mapping[str, Any], equipment: str) -> list[ua.Variant]:
    """The input arguments of ``spec`` from ``args`` (keyed as the plant command keys them)."""
    where = f"{spec.name} on {equipment}"
    known = {a.key for a in spec.inputs}
    unknown = sorted(set(args) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "no arguments"
        raise BadInput(f"{where}: unknown argument(s) {', '.join(unknown)} (takes {expected})")
    out = []
    for arg in spec.inputs:
        if arg.key not in args:
            raise BadInput(f"{where}: argument {arg.key!r} ({arg.name}) is missing")
        out.append(to_variant(args[arg.key], arg.variant, f"{where}: argument {arg.key!r}"))
    return out


def command_result(spec: MethodSpec, result: ua.CallMethodResult, equipment: str) -> CommandResult:
    """The plant's answer, or an error saying why the server refused the call."""
    where = f"{spec.name} on {equipment}"
    code = result.StatusCode
    if code.is_good():
        outputs = [o.Value for o in result.OutputArguments or []]
        if len(outputs) != 2 or not isinstance(outputs[0], bool):
            raise ConnectorError(f"{where}: unexpected outputs {outputs!r} (Accepted, Message)")
        return CommandResult(outputs[0], str(outputs[1] or ""))
    if code.value in _BAD_ARGUMENTS:
        culprits = [
            f"{arg.key} ({r.name})"
            for arg, r in zip(spec.inputs, result.InputArgumentResults or [], strict=False)
            if not r.is_good()
        ]
        detail = ", ".join(culprits) or code.name
        raise BadInput(f"{where}: the server refused the arguments: {detail}", status=code.name)
    if code.value in {ua.StatusCodes.BadNodeIdUnknown, ua.StatusCodes.BadMethodInvalid}:
        raise NotFound(f"{where}: the server has no such method ({code.name})", status=code.name)
    raise ConnectorError(
        f"{where} failed on the server: {code.name}",
        code="connect.command_failed",
        status=code.name,
    )

"""How MES sends a job to a machine: the :class:`JobSender` protocol and its in-process form.

Dispatching a job order operation to a work unit goes through a :class:`JobSender`. The OPC UA
method (``ReceiveJob``) and the Sparkplug ``DCMD`` adapters implement it for real machines;
:class:`PlantControlSender` calls a :class:`~shopfloor.sim.outlet.PlantControl` directly, which is
how a virtual-time run (MES and the virtual plant in one process) dispatches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the simulator is not imported unless a virtual plant is in the process
    from shopfloor.sim.outlet import PlantControl


@dataclass(frozen=True, slots=True)
class JobAck:
    """The machine's answer to a job: accepted or not, and why."""

    accepted: bool
    message: str = ""


@runtime_checkable
class JobSender(Protocol):
    """Sends a job to a work unit; returns the machine's acknowledgement (never raises for a no)."""

    def send_job(
        self, equipment: str, order_id: str, product: str, quantity: int, operation: str
    ) -> JobAck:
        """Send one job order operation to the work unit at ``equipment`` (ISA-95 path).

        ``operation`` is the routing's operation id (e.g. ``turn``).
        """
        ...


class PlantControlSender:
    """A :class:`JobSender` for the virtual plant in the same process (``Command.JOB``)."""

    def __init__(self, control: PlantControl) -> None:
        self.control = control

    def send_job(
        self, equipment: str, order_id: str, product: str, quantity: int, operation: str
    ) -> JobAck:
        from shopfloor.sim.outlet import Command

        args = {"order_id": order_id, "product": product, "quantity": quantity}
        result = self.control.command(equipment, Command.JOB, args | {"operation": operation})
        return JobAck(result.ok, result.message)

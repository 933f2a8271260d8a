"""The plant's recorded time: the newest instant MES holds, and the check that a plan starts
near it (a plan from a wrong clock is refused, saying why)."""

from __future__ import annotations

from sqlalchemy import func, select

from shopfloor.clock import NS_PER_S, from_ns
from shopfloor.errors import BadInput
from shopfloor.mes.context import MesContext
from shopfloor.mes.models import EquipmentState, OrderTransition, SeenEvent

#: A plan may start at most this long before the newest recorded instant (clock skew) ...
BEHIND_S = 3600.0
#: ... and at most this long after it (a plant idle over a long holiday still plans).
AHEAD_S = 366 * 86400.0


def recorded_until(ctx: MesContext) -> int | None:
    """The newest instant MES holds (a machine event applied, an order's transition, an
    equipment state), ns; None while it holds none."""
    with ctx.db.tx() as s:
        found = [
            s.scalar(select(func.max(SeenEvent.ts_ns))),
            s.scalar(select(func.max(OrderTransition.ts_ns))),
            s.scalar(select(func.max(EquipmentState.since_ns))),
        ]
    known = [int(x) for x in found if x is not None]
    return max(known) if known else None


def check_plan_start(ctx: MesContext, start_ns: int) -> None:
    """Refuse a plan that would start long before or after what the plant recorded last: it
    would come from a clock that is not the plant's (the computer's date beside a virtual
    plant, a plant clock file of another run)."""
    last = recorded_until(ctx)
    if last is None:
        return
    gap = (start_ns - last) / NS_PER_S
    if -BEHIND_S <= gap <= AHEAD_S:
        return
    when, newest = from_ns(start_ns).isoformat(), from_ns(last).isoformat()
    side = f"{-gap / 3600:.1f} h before" if gap < 0 else f"{gap / 86400:.0f} days after"
    raise BadInput(
        f"the plan would start at {when}, {side} the newest instant this plant recorded "
        f"({newest}): its clock is not the plant's. Run the command beside the service that "
        "runs the plant (it publishes its clock in data_dir/plant-clock.json), or set "
        "plant_clock to the plant's clock file",
        code="schedule.clock_mismatch",
        start=when,
        recorded=newest,
    )

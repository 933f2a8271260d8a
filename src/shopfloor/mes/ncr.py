"""Non-conformance records (NCR): raise, disposition (rework, scrap, use as is), close.

States: ``open`` -> ``dispositioned`` -> ``closed`` (``reopen`` goes back from dispositioned).
A disposition acts on the unit: ``scrap`` scraps it, ``rework`` sends it to rework (closing the
NCR returns it to production), ``use_as_is`` leaves it as it is. Every change is kept with who,
when and a note. An inspection result outside its specification raises an NCR by itself.
"""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.errors import BadInput
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import NCR_ACTIONS, Disposition, MesNotFound, NcrStatus, transition
from shopfloor.mes.material import IN_PROCESS, SCRAPPED
from shopfloor.mes.models import Lot, NcrTransition, NonConformance, Unit

REWORK = "rework"


def open_ncr(
    s: Session,
    now: int,
    description: str,
    *,
    serial: str | None = None,
    lot: str | None = None,
    product: str | None = None,
    characteristic: str | None = None,
    who: str = "",
) -> NonConformance:
    ncr = NonConformance(
        serial=serial,
        lot=lot,
        product=product,
        characteristic=characteristic,
        description=description,
        status=NcrStatus.OPEN,
        disposition=None,
        raised_by=who,
        created_ns=now,
        updated_ns=now,
    )
    s.add(ncr)
    s.flush()
    s.add(
        NcrTransition(
            ncr_id=ncr.id,
            from_status=None,
            to_status=NcrStatus.OPEN,
            disposition=None,
            who=who,
            note=description,
            ts_ns=now,
        )
    )
    return ncr


class Ncrs:
    """Non-conformance records (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def create(
        self,
        description: str,
        *,
        serial: str | None = None,
        lot: str | None = None,
        characteristic: str | None = None,
        who: str = "",
    ) -> NonConformance:
        if not description.strip():
            raise BadInput("description: say what does not conform")
        if serial is None and lot is None:
            raise BadInput("serial or lot: an NCR is about a unit or a lot; give one")
        with self.ctx.db.tx() as s:
            product = None
            if serial is not None:
                unit = s.get(Unit, serial)
                if unit is None:
                    raise MesNotFound(f"serial: no unit {serial!r}")
                product = unit.product
            if lot is not None and s.get(Lot, lot) is None:
                raise MesNotFound(f"lot: no lot {lot!r}")
            return open_ncr(
                s,
                self.ctx.now(),
                description.strip(),
                serial=serial,
                lot=lot,
                product=product,
                characteristic=characteristic,
                who=who,
            )

    def _change(
        self, ncr_id: int, action: str, who: str, note: str, disposition: str | None = None
    ) -> NonConformance:
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            ncr = s.get(NonConformance, ncr_id, with_for_update=True)
            if ncr is None:
                raise MesNotFound(f"ncr: no non-conformance record {ncr_id}")
            old = ncr.status
            to = transition(NCR_ACTIONS, f"NCR {ncr_id}", ncr.status, action)
            assert to is not None
            ncr.status, ncr.updated_ns = to, now
            if action == "disposition":
                ncr.disposition = disposition
            elif action == "reopen":
                ncr.disposition = None
            unit = s.get(Unit, ncr.serial) if ncr.serial is not None else None
            if unit is not None:
                if action == "disposition" and disposition == Disposition.SCRAP:
                    unit.status, unit.ended_ns = SCRAPPED, now
                    unit.defect = unit.defect or f"NCR {ncr_id}"
                elif action == "disposition" and disposition == Disposition.REWORK:
                    unit.status = REWORK
                elif action == "close" and ncr.disposition == Disposition.REWORK:
                    unit.status = IN_PROCESS
            s.add(
                NcrTransition(
                    ncr_id=ncr_id,
                    from_status=old,
                    to_status=to,
                    disposition=ncr.disposition,
                    who=who,
                    note=note,
                    ts_ns=now,
                )
            )
            return ncr

    def disposition(
        self, ncr_id: int, disposition: str, *, who: str, note: str = ""
    ) -> NonConformance:
        if disposition not in set(Disposition):
            raise BadInput(f"disposition: {disposition!r} is not one of {', '.join(Disposition)}")
        if not who:
            raise BadInput("by: a disposition needs the name of who decided it")
        return self._change(ncr_id, "disposition", who, note, disposition)

    def close(self, ncr_id: int, *, who: str, note: str = "") -> NonConformance:
        return self._change(ncr_id, "close", who, note)

    def reopen(self, ncr_id: int, *, who: str, note: str = "") -> NonConformance:
        return self._change(ncr_id, "reopen", who, note)

    def get(self, ncr_id: int) -> NonConformance:
        with self.ctx.db.tx() as s:
            ncr = s.get(NonConformance, ncr_id)
            if ncr is None:
                raise MesNotFound(f"ncr: no non-conformance record {ncr_id}")
            return ncr

    def list(
        self, *, status: str | None = None, serial: str | None = None
    ) -> builtins.list[NonConformance]:
        if status is not None and status not in set(NcrStatus):
            raise BadInput(f"status: {status!r} is not one of {', '.join(NcrStatus)}")
        q = select(NonConformance)
        if status is not None:
            q = q.where(NonConformance.status == status)
        if serial is not None:
            q = q.where(NonConformance.serial == serial)
        with self.ctx.db.tx() as s:
            return list(s.scalars(q.order_by(NonConformance.id)))

    def history(self, ncr_id: int) -> builtins.list[NcrTransition]:
        with self.ctx.db.tx() as s:
            q = select(NcrTransition).where(NcrTransition.ncr_id == ncr_id)
            return list(s.scalars(q.order_by(NcrTransition.id)))

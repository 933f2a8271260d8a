"""Tell the ERP when a job order completes: the webhook service.

:class:`CompletionNotifier` looks for completed orders in MES (its public order list) every
``interval_s`` and delivers each one once to every hook: a JSON document (the order's actuals)
or its B2MML performance. What was delivered is recorded in ``erp_delivery``, so a restart does
not deliver again and a delivery that failed after its retries is tried again at the next poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from shopfloor.clock import from_ns
from shopfloor.erp.actuals import OrderActual, collect_actuals
from shopfloor.erp.errors import WebhookFailed
from shopfloor.erp.performance import PerformanceHeader, performance_xml
from shopfloor.erp.refs import RefStore, erp_delivery
from shopfloor.erp.versions import V0600, V0701
from shopfloor.erp.webhook import Delivery, Hook, deliver
from shopfloor.errors import ShopfloorError
from shopfloor.mes import MesService
from shopfloor.service import Health

log = logging.getLogger(__name__)
DELIVERED, FAILED = "delivered", "failed"
_NAMESPACE = uuid.UUID("6f1d7c2a-1f0e-4c8e-9a55-3b0d2f4e8a10")
_MAX_ORDERS = 100_000


def document(hook: Hook, actual: OrderActual, now_ns: int, schema_dir: Path | None) -> Delivery:
    """The delivery of ``actual`` in the format ``hook`` asks for (its id is stable)."""
    delivery_id = str(uuid.uuid5(_NAMESPACE, f"{actual.order_id}\n{hook.key}"))
    if hook.format == "json":
        body = {
            "event": "order.completed",
            "delivery": delivery_id,
            "sent": from_ns(now_ns).isoformat(),
            "order": actual.to_dict(),
        }
        data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return Delivery(delivery_id, data, "application/json")
    version = V0600 if hook.format == "b2mml-v0600" else V0701
    start = actual.started_ns or now_ns
    header = PerformanceHeader(
        f"{actual.order_id}-performance", start, (actual.ended_ns or now_ns) + 1, now_ns
    )
    xml = performance_xml([actual], version, header, schema_dir)
    return Delivery(delivery_id, xml, "application/xml")


class CompletionNotifier:
    """A :class:`~shopfloor.service.Service` delivering order completions to webhooks."""

    name = "erp-webhooks"

    def __init__(
        self,
        mes: MesService,
        hooks: tuple[Hook, ...],
        *,
        schema_dir: Path | None = None,
        interval_s: float = 5.0,
    ) -> None:
        self.mes = mes
        self.hooks = hooks
        self.schema_dir = schema_dir
        self.interval_s = interval_s
        self.refs = RefStore(mes.ctx.db.engine)
        self.delivered = 0
        self.failed = 0
        self.last_error = ""
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _done(self) -> set[tuple[str, str]]:
        q = select(erp_delivery.c.order_id, erp_delivery.c.hook).where(
            erp_delivery.c.status == DELIVERED
        )
        with self.refs.engine.connect() as conn:
            return {(o, h) for o, h in conn.execute(q)}

    def _record(self, order_id: str, hook: Hook, status: str, attempts: int, error: str) -> None:
        key = (erp_delivery.c.order_id == order_id) & (erp_delivery.c.hook == hook.key)
        with self.refs.engine.begin() as conn:
            before = conn.execute(select(erp_delivery.c.attempts).where(key)).scalar() or 0
            conn.execute(delete(erp_delivery).where(key))
            conn.execute(
                insert(erp_delivery).values(
                    order_id=order_id,
                    hook=hook.key,
                    status=status,
                    attempts=before + attempts,
                    last_error=error,
                    updated_ns=self.mes.ctx.now(),
                )
            )

    async def poll_once(self) -> list[dict[str, Any]]:
        """Deliver every completed order not yet delivered to each hook; what was done."""
        self.last_error = ""
        done = self._done()
        completed = self.mes.orders.list(status=["complete"], limit=_MAX_ORDERS)
        pending = {o.id for o in completed for h in self.hooks if (o.id, h.key) not in done}
        if not pending:
            return []
        actuals = collect_actuals(self.mes, self.refs, 0, 0, order_ids=sorted(pending))
        outcomes: list[dict[str, Any]] = []
        for actual in actuals:
            for hook in self.hooks:
                if (actual.order_id, hook.key) in done:
                    continue
                outcomes.append(await self._send(hook, actual))
        return outcomes

    async def _send(self, hook: Hook, actual: OrderActual) -> dict[str, Any]:
        d = document(hook, actual, self.mes.ctx.now(), self.schema_dir)
        try:
            attempts = await deliver(hook, d)
        except WebhookFailed as exc:
            self.failed += 1
            self.last_error = exc.message
            log.warning("%s", exc.message)
            self._record(
                actual.order_id, hook, FAILED, int(exc.details.get("attempts", 1)), exc.message
            )
            return {
                "order": actual.order_id,
                "hook": hook.key,
                "status": FAILED,
                "error": exc.message,
            }
        self.delivered += 1
        self._record(actual.order_id, hook, DELIVERED, attempts, "")
        return {
            "order": actual.order_id,
            "hook": hook.key,
            "status": DELIVERED,
            "attempts": attempts,
        }

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.poll_once()
            except (ShopfloorError, SQLAlchemyError) as exc:  # keep polling; say it once
                if str(exc) != self.last_error:
                    log.error("webhook poll failed: %s", exc)
                self.last_error = str(exc)
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except TimeoutError:
                continue

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    def health(self) -> Health:
        return Health(
            ok=not self.last_error,
            detail=self.last_error,
            metrics={"delivered": self.delivered, "failed": self.failed, "hooks": len(self.hooks)},
        )

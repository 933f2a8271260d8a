"""The ``job`` command: MES dispatches an order (or one operation of it) to an equipment.

Arguments: ``order_id``, ``product``, ``quantity`` and optionally ``operation`` (its seq or id).
A new order id releases the order through its routing; the operations the equipment is eligible
for (or the one named) are pinned to it, so that only it runs them for this order. A known order
id only adds the pin, which is how MES dispatches the later operations of an order.
"""

from __future__ import annotations

from typing import Any

from shopfloor.errors import BadInput
from shopfloor.plant.model import Operation
from shopfloor.sim.orders import OrderBook
from shopfloor.sim.outlet import CommandResult


def _quantity(value: Any) -> int:
    if isinstance(value, bool):
        raise BadInput(f"quantity must be a positive integer, not {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 1:
        raise BadInput(f"quantity must be a positive integer, not {value!r}")
    return value


def _operations(
    book: OrderBook, path: str, ops: tuple[Operation, ...], named: Any
) -> list[Operation]:
    plant = book.plant
    mine = [o for o in ops if path in {plant.resolve(x) for x in o.eligible}]
    if named is None:
        return mine
    want = str(named)
    chosen = [o for o in ops if want in (str(o.seq), o.id)]
    if not chosen:
        raise BadInput(f"routing has no operation {want!r}")
    if chosen[0] not in mine:
        raise BadInput(f"{path} is not eligible for operation {want!r}")
    return chosen


def job_command(book: OrderBook, path: str, args: dict[str, Any]) -> CommandResult:
    """Receive a job for equipment ``path``; the result says what was released or pinned."""
    try:
        missing = [k for k in ("order_id", "product", "quantity") if k not in args]
        if missing:
            raise BadInput(f"job needs {', '.join(missing)}")
        order_id, product_id = str(args["order_id"]), str(args["product"])
        quantity = _quantity(args["quantity"])
        existing = book.orders.get(order_id)
        product = existing.product if existing else book.check(order_id, product_id, quantity)
        if existing is not None and existing.product.id != product_id:
            raise BadInput(f"order {order_id!r} is for {existing.product.id!r}, not {product_id!r}")
        routing = book.plant.routing_by_id[product.routing]
        ops = _operations(book, path, routing.operations, args.get("operation"))
        line = book.line_of_routing[routing.id]
        if not ops and book.plant.line_of[path] != line:
            raise BadInput(f"{path} runs no operation of product {product.id!r}")
        pins = {o.seq: path for o in ops}
        if existing is not None:
            existing.pins.update(pins)
            book.pool.recheck()
            return CommandResult(
                True,
                f"order {order_id} pinned to {path}",
                {"order_id": order_id, "pinned": sorted(pins)},
            )
        book.release(order_id, product, quantity, pins)
        return CommandResult(
            True,
            f"order {order_id} released: {quantity} x {product.id}",
            {"order_id": order_id, "pinned": sorted(pins)},
        )
    except BadInput as exc:
        return CommandResult(False, exc.message)

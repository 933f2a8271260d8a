"""Job orders from a CSV file, for shops whose ERP is a spreadsheet.

One order per row; the first row names the columns (any order, any case)::

    order_id,product,quantity,due,priority
    SO-1001,housing-a,40,2025-01-08T14:00:00Z,2

``order_id``, ``product`` and ``quantity`` are required; ``due`` is an ISO 8601 date and time
(UTC when no zone is given) and ``priority`` a whole number (default 0). Commas, semicolons and
tabs are accepted as separators; the file is UTF-8 (with or without a byte order mark). Every bad
cell is reported with its line.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from shopfloor.erp.errors import ErpInputError, mapping_errors
from shopfloor.erp.model import ImportedDocument, ImportedOrder, Ref

COLUMNS = ("order_id", "product", "quantity", "due", "priority")
REQUIRED = ("order_id", "product", "quantity")


def read_orders_csv(data: bytes, source: str) -> ImportedDocument:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ErpInputError(source, f"not UTF-8 text (byte {exc.start})", line=line) from None
    if not text.strip():
        raise ErpInputError(source, "the file is empty", line=1)
    first = text.splitlines()[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    problems: list[tuple[int | None, str]] = []
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        parts = [f"unknown column(s) {', '.join(unknown)}" if unknown else ""]
        parts.append(f"missing column(s) {', '.join(missing)}" if missing else "")
        raise ErpInputError(
            source,
            f"{'; '.join(p for p in parts if p)} (columns: {', '.join(COLUMNS)})",
            line=1,
        )
    orders: list[ImportedOrder] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append((line, f"{len(row)} cells, the header has {len(header)}"))
            continue
        cells = {h: c.strip() for h, c in zip(header, row, strict=True)}
        order = _order(cells, line, problems)
        if order is not None:
            orders.append(order)
    if problems:
        raise mapping_errors(source, problems)
    if not orders:
        raise ErpInputError(source, "no order rows after the header", line=2)
    return ImportedDocument(source, "csv", "orders", None, orders=tuple(orders))


def _order(
    cells: dict[str, str], line: int, problems: list[tuple[int | None, str]]
) -> ImportedOrder | None:
    bad = len(problems)
    for c in REQUIRED:
        if not cells.get(c):
            problems.append((line, f"{c} is empty"))
    quantity = _whole(cells.get("quantity", ""), "quantity", line, problems, minimum=1)
    priority = _whole(cells.get("priority") or "0", "priority", line, problems, minimum=None)
    due: int | None = None
    if cells.get("due"):
        try:
            dt = datetime.fromisoformat(cells["due"])
        except ValueError:
            problems.append((line, f"due: {cells['due']!r} is not an ISO 8601 date and time"))
        else:
            dt = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
            due = int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000
    if len(problems) > bad or quantity is None:
        return None
    return ImportedOrder(
        erp_id=cells["order_id"],
        product=Ref(cells["product"], line),
        quantity=quantity,
        due_ns=due,
        priority=priority or 0,
        line=line,
    )


def _whole(
    raw: str, what: str, line: int, problems: list[tuple[int | None, str]], minimum: int | None
) -> int | None:
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.append((line, f"{what}: {raw!r} is not a whole number"))
        return None
    if minimum is not None and value < minimum:
        problems.append((line, f"{what}: {value} must be >= {minimum}"))
        return None
    return value

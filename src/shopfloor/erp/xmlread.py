"""Small readers over B2MML elements: children by local name, ids, quantities, times, durations.

B2MML repeats the same shapes in every version (``ID``, ``Description``, ``Quantity`` with
``QuantityString`` and ``UnitOfMeasure``, ISO 8601 times and ``xsd:duration``); these helpers
read them the same way everywhere and put any problem on a :class:`Problems` list with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class Problems:
    """Problems found while mapping a document, each with its line."""

    def __init__(self) -> None:
        self.items: list[tuple[int | None, str]] = []

    def add(self, el: Any, message: str) -> None:
        self.items.append((line_of(el), message))

    def __bool__(self) -> bool:
        return bool(self.items)


def line_of(el: Any) -> int | None:
    return int(el.sourceline) if el is not None and el.sourceline else None


def local(el: Any) -> str:
    return str(etree.QName(el).localname)


def kids(el: Any, *names: str) -> list[Any]:
    """Direct children of ``el`` with one of the local ``names`` (in ``el``'s namespace)."""
    ns = etree.QName(el).namespace
    wanted = {f"{{{ns}}}{n}" if ns else n for n in names}
    return [c for c in el if isinstance(c.tag, str) and c.tag in wanted]


def kid(el: Any, name: str) -> Any | None:
    found = kids(el, name)
    return found[0] if found else None


def walk(el: Any, *names: str) -> Iterator[Any]:
    """Descendants of ``el`` (not ``el`` itself) with one of the local ``names``, in order."""
    ns = etree.QName(el).namespace
    tags = [f"{{{ns}}}{n}" if ns else n for n in names]
    for d in el.iter(*tags):
        if d is not el:
            yield d


def text(el: Any, name: str | None = None) -> str | None:
    """The stripped text of ``el`` (or of its first child ``name``); None when empty."""
    node = kid(el, name) if name is not None else el
    if node is None or node.text is None:
        return None
    value = " ".join(node.text.split())
    return value or None


def texts(el: Any, name: str) -> list[str]:
    return [t for t in (text(c) for c in kids(el, name)) if t]


def description(el: Any) -> str:
    return text(el, "Description") or ""


def decimal(value: str, what: str, el: Any, problems: Problems) -> Decimal | None:
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        problems.add(el, f"{what}: {value!r} is not a number")
        return None
    if not d.is_finite():
        problems.add(el, f"{what}: {value!r} is not a finite number")
        return None
    return d


def quantity(el: Any, problems: Problems, what: str = "quantity") -> tuple[Decimal, str] | None:
    """The first ``Quantity`` of ``el``: (value, unit of measure); None when it has none."""
    q = kid(el, "Quantity")
    if q is None:
        return None
    raw = text(q, "QuantityString")
    if raw is None:
        problems.add(q, f"{what}: QuantityString is empty")
        return None
    value = decimal(raw, what, q, problems)
    return None if value is None else (value, text(q, "UnitOfMeasure") or "")


def instant_ns(el: Any, name: str, problems: Problems) -> int | None:
    """A B2MML date-time child as ns since the epoch (no zone given: UTC)."""
    node = kid(el, name)
    raw = text(node) if node is not None else None
    if raw is None:
        return None
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        problems.add(node, f"{name}: {raw!r} is not an ISO 8601 date and time")
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def duration_s(el: Any, problems: Problems, name: str = "Duration") -> float | None:
    """An ``xsd:duration`` child in seconds; years and months are refused (not a fixed length)."""
    node = kid(el, name)
    raw = text(node) if node is not None else None
    if raw is None:
        return None
    m = _DURATION.match(raw)
    if m is None or raw.endswith(("P", "T")):
        problems.add(node, f"{name}: {raw!r} is not an xsd:duration such as PT3M30S")
        return None
    if m["y"] or m["mo"]:
        problems.add(node, f"{name}: {raw!r} uses years or months, which have no fixed length")
        return None
    seconds = (
        int(m["d"] or 0) * 86400
        + int(m["h"] or 0) * 3600
        + int(m["mi"] or 0) * 60
        + float(m["s"] or 0)
    )
    return -seconds if m["sign"] else seconds


def equipment_ids(el: Any, *containers: str) -> list[tuple[str, Any]]:
    """``EquipmentID`` values under the given child elements of ``el`` (with their element)."""
    out: list[tuple[str, Any]] = []
    for c in kids(el, *containers):
        scope: Any | None = c
        while scope is not None:  # HierarchyScope nests HierarchyScopeChild / HierarchyScope
            for e in kids(scope, "EquipmentID"):
                value = text(e)
                if value:
                    out.append((value, e))
            children = kids(scope, "HierarchyScopeChild", "HierarchyScope", "Location")
            scope = children[0] if children else None
    return out

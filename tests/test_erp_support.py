"""Helpers shared by the ERP tests (imported by each ``test_erp_*`` module; no tests here).

Document builders write B2MML V0600 and V0701 that fill every element the importer maps; the
``mes_url`` fixture gives each test a migrated SQLite MES database of its own; :func:`run_order`
drives a released order through the demo plant with machine events, as the plant would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from shopfloor.clock import VirtualClock
from shopfloor.events import EventKind, MachineEvent
from shopfloor.mes import MesService
from shopfloor.mes.db import make_engine, migrate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SCHEMAS = SHARED / "b2mml"
EXAMPLES = SHARED / "b2mml-examples"
NS6 = "http://www.mesa.org/xml/B2MML-V0600"
NS7 = "http://www.mesa.org/xml/B2MML"
#: housing-a in the demo plant: (operation, seq, equipment).
HOUSING_A = [
    ("turn", 10, "lathe-01"),
    ("mill", 20, "vmc-01"),
    ("wash", 30, "washer-01"),
    ("measure", 40, "cmm-01"),
]


def x(tag: str, value: object) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def qty(value: object, unit: str | None = "unit") -> str:
    uom = x("UnitOfMeasure", unit) if unit is not None else ""
    return f"<Quantity>{x('QuantityString', value)}{uom}</Quantity>"


@dataclass
class Segment:
    erp_id: str
    process: str
    equipment: tuple[str, ...] = ()
    duration: str | None = None
    latest_end: str | None = None


@dataclass
class Request:
    erp_id: str
    product: str
    quantity: int | str
    due: str | None = "2025-01-08T14:00:00Z"
    priority: int | str | None = 3
    description: str = "Housings for customer 42"
    segments: list[Segment] = field(default_factory=list)
    consumed: list[tuple[str, float]] = field(default_factory=list)
    scope: str | None = "line1"


def v0600_schedule(schedule_id: str, requests: list[Request], wrap: str | None = None) -> bytes:
    """A ``ProductionSchedule`` (or a ``<wrap>ProductionSchedule`` transaction)."""
    body = [x("ID", schedule_id)]
    for r in requests:
        body.append("<ProductionRequest>")
        body += [x("ID", r.erp_id), x("Description", r.description)]
        body.append(x("ProductProductionRuleID", r.product))
        if r.scope:
            body.append(
                f"<HierarchyScope>{x('EquipmentID', r.scope)}"
                f"{x('EquipmentElementLevel', 'ProductionLine')}</HierarchyScope>"
            )
        if r.due:
            body.append(x("EndTime", r.due))
        if r.priority is not None:
            body.append(x("Priority", r.priority))
        for i, s in enumerate(r.segments or [Segment(f"{r.erp_id}-10", "make")]):
            body += ["<SegmentRequirement>", x("ID", s.erp_id), x("ProcessSegmentID", s.process)]
            if s.latest_end:
                body.append(x("LatestEndTime", s.latest_end))
            if s.duration:
                body.append(x("Duration", s.duration))
            for e in s.equipment:
                body.append(f"<EquipmentRequirement>{x('EquipmentID', e)}</EquipmentRequirement>")
            if i == 0:
                body.append(_material6(r.product, "Produced", r.quantity))
                body += [_material6(m, "Consumed", q) for m, q in r.consumed]
            body.append("</SegmentRequirement>")
        body.append("</ProductionRequest>")
    inner = f"<ProductionSchedule>{''.join(body)}</ProductionSchedule>"
    return _wrap(NS6, inner, wrap, "ProductionSchedule")


def _material6(material: str, use: str, quantity: object) -> str:
    return (
        f"<MaterialRequirement>{x('MaterialDefinitionID', material)}{x('MaterialUse', use)}"
        f"<Quantity>{x('QuantityString', quantity)}{x('UnitOfMeasure', 'unit')}</Quantity>"
        "</MaterialRequirement>"
    )


def v0701_schedule(schedule_id: str, requests: list[Request]) -> bytes:
    """An ``OperationsSchedule`` of production requests."""
    body = [x("ID", schedule_id), x("OperationsType", "Production")]
    for r in requests:
        body += ["<OperationsRequest>", x("ID", r.erp_id), x("Description", r.description)]
        if r.due:
            body.append(x("EndTime", r.due))
        if r.scope:
            body.append(
                f"<HierarchyScope>{x('EquipmentID', r.scope)}"
                f"{x('EquipmentLevel', 'ProductionLine')}</HierarchyScope>"
            )
        body.append(x("OperationsType", "Production"))
        if r.priority is not None:
            body.append(x("Priority", r.priority))
        body.append(x("OperationsDefinitionID", r.product))
        for i, s in enumerate(r.segments or [Segment(f"{r.erp_id}-10", "make")]):
            body += ["<SegmentRequirement>", x("ID", s.erp_id)]
            if s.latest_end:
                body.append(x("LatestEndTime", s.latest_end))
            body.append(x("ProcessSegmentID", s.process))
            if s.duration:
                body.append(x("Duration", s.duration))
            body += [x("OperationsDefinitionID", r.product), x("OperationsSegmentID", s.process)]
            for k, e in enumerate(s.equipment):
                body.append(
                    f"<EquipmentRequirement>{x('ID', f'{s.erp_id}-eq{k}')}"
                    f"{x('EquipmentID', e)}</EquipmentRequirement>"
                )
            if i == 0:
                body.append(_material7(f"{s.erp_id}-out", r.product, "Produced", r.quantity))
                body += [
                    _material7(f"{s.erp_id}-in{k}", m, "Consumed", q)
                    for k, (m, q) in enumerate(r.consumed)
                ]
            body.append("</SegmentRequirement>")
        body.append("</OperationsRequest>")
    return _wrap(NS7, f"<OperationsSchedule>{''.join(body)}</OperationsSchedule>", None, "")


def _material7(ident: str, material: str, use: str, quantity: object) -> str:
    return (
        f"<MaterialRequirement>{x('ID', ident)}{x('MaterialDefinitionID', material)}"
        f"{x('MaterialUse', use)}<Quantity>{x('QuantityString', quantity)}"
        f"{x('UnitOfMeasure', 'unit')}</Quantity></MaterialRequirement>"
    )


@dataclass
class Step:
    erp_id: str
    process: str
    name: str
    duration: str | None = "PT3M"
    equipment: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    consumed: tuple[tuple[str, float], ...] = ()


def v0600_product(
    pid: str, name: str, steps: list[Step], bill: tuple[tuple[str, float], ...] = ()
) -> bytes:
    body = [x("ID", pid), x("Description", name)]
    for k, (m, q) in enumerate(bill):
        body.append(
            f"<ManufacturingBill>{x('ID', f'{pid}-bom{k}')}{x('MaterialDefinitionID', m)}"
            f"<Quantity>{x('QuantityString', q)}</Quantity></ManufacturingBill>"
        )
    for s in steps:
        body += ["<ProductSegment>", x("ID", s.erp_id), x("Description", s.name)]
        if s.duration:
            body.append(x("Duration", s.duration))
        body.append(x("ProcessSegmentID", s.process))
        if s.equipment or s.classes:
            body.append(
                "<EquipmentSpecification>"
                + "".join(x("EquipmentClassID", c) for c in s.classes)
                + "".join(x("EquipmentID", e) for e in s.equipment)
                + "</EquipmentSpecification>"
            )
        for m, q in s.consumed:
            body.append(
                f"<MaterialSpecification>{x('MaterialDefinitionID', m)}"
                f"{x('MaterialUse', 'Consumed')}{qty(q)}</MaterialSpecification>"
            )
        body.append("</ProductSegment>")
    return _wrap(NS6, f"<ProductDefinition>{''.join(body)}</ProductDefinition>", None, "")


def v0701_product(pid: str, name: str, steps: list[Step]) -> bytes:
    body = [x("ID", "DEFS-1"), f"<OperationsDefinition>{x('ID', pid)}{x('Description', name)}"]
    body.append(x("OperationsType", "Production"))
    for s in steps:
        body += ["<OperationsSegment>", x("ID", s.erp_id), x("Description", s.name)]
        if s.duration:
            body.append(x("Duration", s.duration))
        body.append(x("ProcessSegmentID", s.process))
        if s.equipment or s.classes:
            body.append(
                f"<EquipmentSpecification>{x('ID', s.erp_id + '-eq')}"
                + "".join(x("EquipmentClassID", c) for c in s.classes)
                + "".join(x("EquipmentID", e) for e in s.equipment)
                + "</EquipmentSpecification>"
            )
        for k, (m, q) in enumerate(s.consumed):
            body.append(
                f"<MaterialSpecification>{x('ID', f'{s.erp_id}-m{k}')}"
                f"{x('MaterialDefinitionID', m)}{x('MaterialUse', 'Consumed')}{qty(q)}"
                "</MaterialSpecification>"
            )
        body.append("</OperationsSegment>")
    body.append("</OperationsDefinition>")
    return _wrap(
        NS7,
        f"<OperationsDefinitionInformation>{''.join(body)}</OperationsDefinitionInformation>",
        None,
        "",
    )


def materials(
    ns: str, defs: list[tuple[str, str, str]], lots: list[tuple[str, str, float]]
) -> bytes:
    """``MaterialInformation`` with definitions (id, name, unit) and lots (id, material, qty)."""
    body = [x("ID", "MAT-1")]
    for mid, name, unit in defs:
        prop = (
            f"<MaterialDefinitionProperty>{x('ID', 'BaseUnitOfMeasure')}<Value>"
            f"{x('ValueString', unit)}{x('DataType', 'string')}</Value>"
            "</MaterialDefinitionProperty>"
        )
        body.append(
            f"<MaterialDefinition>{x('ID', mid)}{x('Description', name)}{prop}</MaterialDefinition>"
        )
    for lid, mid, q in lots:
        body.append(
            f"<MaterialLot>{x('ID', lid)}{x('MaterialDefinitionID', mid)}{qty(q)}</MaterialLot>"
        )
    return _wrap(ns, f"<MaterialInformation>{''.join(body)}</MaterialInformation>", None, "")


def _wrap(ns: str, inner: str, verb: str | None, noun: str) -> bytes:
    if verb:
        inner = (
            f'<{verb}{noun} releaseID="1"><ApplicationArea>'
            f"{x('CreationDateTime', '2025-01-06T05:00:00Z')}</ApplicationArea>"
            f"<DataArea><{verb}/>{inner}</DataArea></{verb}{noun}>"
        )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    # The root is the first element: give it the namespace.
    tag_end = inner.index(">")
    root = inner[:tag_end] + f' xmlns="{ns}"' + inner[tag_end:]
    return (head + root.replace("><", ">\n<")).encode()


@pytest.fixture(scope="session", name="mes_template")
def mes_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("erp") / "template.sqlite"
    engine = make_engine(f"sqlite:///{file}")
    migrate(engine)
    engine.dispose()
    return file


@pytest.fixture(name="mes_url")
def mes_url_fixture(mes_template: Path, tmp_path: Path) -> Iterator[str]:
    file = tmp_path / "mes.sqlite"
    shutil.copyfile(mes_template, file)
    yield f"sqlite:///{file}"


def run_order(
    mes: MesService,
    clock: VirtualClock,
    order_id: str,
    good: int,
    scrap_at_turn: int = 0,
    product: str = "housing-a",
) -> None:
    """Release ``order_id`` and make its units: ``scrap_at_turn`` scrapped at the first step."""
    mes.orders.release(order_id)
    seqs: dict[str, int] = {}

    def ev(kind: EventKind, eq: str, serial: str, **payload: object) -> MachineEvent:
        path = mes.plant.path_of[eq]
        seqs[path] = seqs.get(path, 0) + 1
        return MachineEvent(kind, path, clock.now_ns(), serial, order_id, dict(payload), seqs[path])

    units = [(f"{order_id}-S{i}", i >= good) for i in range(good + scrap_at_turn)]
    for serial, scrapped in units:
        for op, seq, eq in HOUSING_A:
            mes.apply(ev(EventKind.PART_START, eq, serial, product=product, operation=op, seq=seq))
            clock.advance_s(30)
            ok = not (scrapped and seq == 10)
            mes.apply(
                ev(
                    EventKind.PART_COMPLETE,
                    eq,
                    serial,
                    product=product,
                    operation=op,
                    seq=seq,
                    good=ok,
                )
            )
            clock.advance_s(5)
            if not ok:
                break

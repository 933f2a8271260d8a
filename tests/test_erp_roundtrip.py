"""Import -> run -> export: the performance answers the ERP's ids and validates against the XSD."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from shopfloor.cli import main
from shopfloor.clock import VirtualClock
from shopfloor.erp import read_b2mml, read_plant_source, run_import
from shopfloor.mes import open_mes
from tests.test_erp_support import (
    NS6,
    NS7,
    SCHEMAS,
    Request,
    Segment,
    materials,
    mes_template_fixture,
    mes_url_fixture,
    run_order,
    v0600_schedule,
    v0701_schedule,
)

__all__ = ["mes_template_fixture", "mes_url_fixture"]
XSD = {
    "V0600": SCHEMAS / "V0600" / "B2MML-V0600-ProductionPerformance.xsd",
    "V0701": SCHEMAS / "B2MML-OperationsPerformance.xsd",
}


@pytest.mark.parametrize("version", ["V0600", "V0701"])
def test_import_run_export_keeps_the_ids(mes_url: str, version: str, tmp_path: Path) -> None:
    ns = NS6 if version == "V0600" else NS7
    build = v0600_schedule if version == "V0600" else v0701_schedule
    clock = VirtualClock()
    demo = read_plant_source("demo")
    lots = read_b2mml(materials(ns, [], [("CAST-L42", "casting-a", 100)]), "lots.xml", SCHEMAS)
    run_import(lots, demo, mes_url, clock=clock)
    segments = [
        Segment("PR-1001-010", "turn", ("lathe-01",)),
        Segment("PR-1001-020", "mill", ("vmc-01",)),
        Segment("PR-1001-030", "wash"),
        Segment("PR-1001-040", "measure"),
    ]
    request = Request("PR-1001", "HOUSING-A", 4, segments=segments, consumed=[("casting-a", 4)])
    schedule = read_b2mml(build("SCH-2025-W02", [request]), "schedule.xml", SCHEMAS)
    run_import(schedule, demo, mes_url, clock=clock)
    with open_mes(mes_url, plant="demo", clock=clock) as mes:
        mes.material.load_lot("lathe-01", "casting-a", "CAST-L42")
        run_order(mes, clock, "PR-1001", good=3, scrap_at_turn=1)
        assert mes.orders.get("PR-1001").status == "complete"

    out = tmp_path / "performance.xml"
    argv = [
        "erp",
        "export",
        "--from",
        "2025-01-06T00:00:00Z",
        "--to",
        "2025-01-07T00:00:00Z",
        "--out",
        str(out),
        "--version",
        version,
        "--id",
        "PERF-1",
        "--db",
        mes_url,
        "--plant",
        "demo",
        "--schemas",
        str(SCHEMAS),
    ]
    assert main(argv) == 0
    tree = etree.parse(str(out))
    etree.XMLSchema(etree.parse(str(XSD[version]))).assertValid(tree)

    n = {"b": ns}
    v6 = version == "V0600"

    def one(path: str, node: object = tree) -> str:
        found = node.xpath(path, namespaces=n)  # type: ignore[attr-defined]
        assert len(found) == 1, path
        return str(found[0])

    response = "b:ProductionResponse" if v6 else "b:OperationsResponse"
    assert one("/*/b:ID/text()") == "PERF-1"
    assert one(f"/*/b:{'ProductionScheduleID' if v6 else 'OperationsScheduleID'}/text()") == (
        "SCH-2025-W02"
    )
    assert one(f"//{response}/b:ID/text()") == "PR-1001"
    request_id = "b:ProductionRequestID" if v6 else "b:OperationsRequestID"
    assert one(f"//{response}/{request_id}/text()") == "PR-1001"
    assert one(f"//{response}/b:ResponseState/text()") == "Completed"
    seg_ids = tree.xpath(f"//{response}/b:SegmentResponse/b:ID/text()", namespaces=n)
    assert seg_ids == [s.erp_id for s in segments]
    if not v6:
        assert tree.xpath("//b:SegmentRequirementID/text()", namespaces=n) == seg_ids
    turn = tree.xpath("//b:SegmentResponse", namespaces=n)[0]
    assert one("b:EquipmentActual/b:EquipmentID/text()", turn) == "lathe-01"
    assert one("b:EquipmentActual/b:Quantity/b:QuantityString/text()", turn) == "4"
    made = "b:MaterialActual[b:MaterialUse='Produced']"
    assert turn.xpath(f"{made}/b:MaterialDefinitionID/text()", namespaces=n) == ["HOUSING-A"] * 2
    good = f"{made}[b:MaterialActualProperty/b:Value/b:ValueString='Good']"
    scrap = f"{made}[b:MaterialActualProperty/b:Value/b:ValueString='Scrap']"
    assert one(f"{good}/b:Quantity/b:QuantityString/text()", turn) == "3"
    assert one(f"{scrap}/b:Quantity/b:QuantityString/text()", turn) == "1"
    used = "b:MaterialActual[b:MaterialUse='Consumed']"
    assert one(f"{used}/b:MaterialDefinitionID/text()", turn) == "casting-a"
    assert one(f"{used}/b:MaterialLotID/text()", turn) == "CAST-L42"
    assert one(f"{used}/b:Quantity/b:QuantityString/text()", turn) == "4"
    measure = tree.xpath("//b:SegmentResponse", namespaces=n)[3]
    assert one(f"{good}/b:Quantity/b:QuantityString/text()", measure) == "3"
    assert one("b:EquipmentActual/b:EquipmentID/text()", measure) == "cmm-01"


def test_export_of_an_empty_window_says_so(
    mes_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [
        "erp",
        "export",
        "--from",
        "2025-01-06T00:00:00Z",
        "--to",
        "2025-01-07T00:00:00Z",
        "--out",
        str(tmp_path / "p.xml"),
        "--db",
        mes_url,
        "--plant",
        "demo",
        "--schemas",
        str(SCHEMAS),
    ]
    assert main(argv) == 2
    assert "no job order ran between 2025-01-06T00:00:00Z and 2025-01-07T00:00:00Z" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "p.xml").exists()
    assert main([*argv[:-2], "--version", "V0500", "--schemas", str(SCHEMAS)]) == 2
    assert "choose one of V0600, V0701" in capsys.readouterr().err

"""``shopfloor assess`` end to end on the demo plant: the four files, their content, the PDF.

One run of the command (simulated periods, the served virtual plant probed on loopback, an
application workspace with attachments) feeds every test of this module.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter

from shopfloor.cli import main
from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.kpi import evaluate
from shopfloor.plant import load_plant
from shopfloor.runtime.run_pipeline import run_pipeline

HOURS = 2.0


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("assess")
    (base / "config.yaml").write_text("probe: {observe_s: 1.5, timeout_s: 30}\n", "utf-8")
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_blank_page(width=200, height=200)
    with (base / "licence.pdf").open("wb") as f:
        writer.write(f)
    Image.new("RGB", (40, 30), (200, 30, 30)).save(base / "iso9001.png")
    (base / "workspace.yaml").write_text(
        "level: advanced\n"
        "deadline: 2099-03-31\n"
        'applicant: {name: "ACME Pumps Co., Ltd.", contact: 张工}\n'
        "materials:\n"
        "  business_licence: {owner: 法务部, status: done, files: [licence.pdf]}\n"
        "  audit_reports: {status: in_progress, due: 2099-02-01}\n"
        "certifications:\n"
        "  iso9001: {status: valid, expires: 2099-01-01, files: [iso9001.png]}\n",
        "utf-8",
    )
    out = base / "pack"
    code = main(
        ["assess", "--plant", "demo", "--out", str(out), "--hours", str(HOURS),
         "--probe", "virtual", "--config", str(base / "config.yaml"),
         "--workspace", str(base / "workspace.yaml"), "--lang", "zh"]
    )  # fmt: skip
    assert code == 0
    return out


@pytest.fixture(scope="module")
def doc(pack: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pack / "assessment.json").read_text("utf-8"))
    return data


def test_the_pack_has_its_files_and_says_synthetic(pack: Path, doc: dict[str, Any]) -> None:
    names = sorted(p.name for p in pack.iterdir())
    assert names == sorted(
        ["assessment.json", "report.html", "report.pdf", "evidence.xlsx", "workspace.json",
         "package.pdf"]
    )  # fmt: skip
    assert doc["synthetic"] is True
    assert doc["level"] is None and doc["maturity_level"] is None  # no answers: level 1 unanswered
    for gate in doc["gates"]:
        assert {"value", "threshold", "source", "passed"} <= set(gate)
    assert {g["source"] for g in doc["gates"] if not g["sourced"]} == {"your configured target"}


def test_networking_list_has_one_row_per_equipment_with_protocol_and_points(
    doc: dict[str, Any],
) -> None:
    plant = load_plant("demo")
    rows = {r["path"]: r for r in doc["networking_list"]}
    assert list(rows) == [p for p, *_r in plant.walk()]
    for path, eq in plant.equipment_by_path.items():
        assert rows[path]["protocol"] == eq.protocol.value
        assert rows[path]["points"] == len(eq.tags)
        assert rows[path]["online"] is eq.networked  # every networked device passed the test
    probe = doc["interconnection_test"]
    assert probe["synthetic"] and probe["passed"] == probe["devices_tested"] == 20


def test_kpis_equal_what_the_kpi_engine_gives_over_the_bus_for_the_same_window(
    doc: dict[str, Any],
) -> None:
    plant = load_plant("demo")
    start = DEFAULT_EPOCH + timedelta(days=7)
    outcome = asyncio.run(run_pipeline(plant, HOURS, 1, start=start, mes_url=None))
    assert doc["periods"]["current"]["window"]["start"] == start.isoformat()
    current = {(r["scope"], r["kpi"]): r["current"] for r in doc["kpis"]}
    compared = 0
    for line, basket in outcome.report.lines.items():
        for key, value in evaluate(basket).items():
            if (line, key) in current:
                assert current[(line, key)] == value, (line, key)
                compared += 1
    assert compared >= 20


def test_pdf_shows_chinese_text_tables_and_the_simulated_watermark(pack: Path) -> None:
    pdf = pack / "report.pdf"
    assert pdf.stat().st_size <= 50_000_000
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for s in ("智能制造能力成熟度自评估", "设备联网清单", "模拟数据", "经济效益测算表",
              "互联互通测试报告", "lathe-02", "Modbus TCP", "推断", "申报材料清单"):  # fmt: skip
        assert s in text, s
    assert "\ufffd" not in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = [ln.split() for ln in fonts.stdout.splitlines()[2:] if ln.strip()]
    assert any("CJK" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows), fonts.stdout  # every font embedded
    png = pack.parent / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(png)],
                   check=True)  # fmt: skip
    page = next(pack.parent.glob("page*.png"))
    with Image.open(page) as im:
        assert im.width > im.height  # A4 landscape
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50  # text, tables and the watermark, not a blank page


def test_html_flags_every_inferred_requirement(pack: Path, doc: dict[str, Any]) -> None:
    html = (pack / "report.html").read_text("utf-8")
    inferred = sum(1 for r in doc["requirements"] if r["inferred"])
    assert inferred == 104
    assert html.count('class="inferred"') >= inferred
    assert "模拟数据" in html and 'class="watermark"' in html
    assert "<svg" in html


def test_excel_workbook_has_the_tables(pack: Path) -> None:
    wb = load_workbook(pack / "evidence.xlsx", read_only=True)
    net = list(wb["设备联网清单"].iter_rows(min_row=3, values_only=True))
    assert len(net) == len(load_plant("demo").equipment_by_path)
    reqs = list(wb["要求评分"].iter_rows(min_row=3, values_only=True))
    assert len(reqs) == 104 and {r[4] for r in reqs} == {"是"}
    assert "模拟数据" in str(wb["设备联网清单"]["A1"].value)


def test_package_pdf_holds_the_report_and_the_attachments(pack: Path) -> None:
    report = len(PdfReader(pack / "report.pdf").pages)
    package = len(PdfReader(pack / "package.pdf").pages)
    assert package == report + 2 + 1  # two pages of licence.pdf, one page for the image
    ws = json.loads((pack / "workspace.json").read_text("utf-8"))
    assert ws["level"] == "advanced"
    assert "audit_reports" in ws["missing"] and "business_licence" not in ws["missing"]
    assert 0 < ws["completeness"] < 1
    cert = next(c for c in ws["certifications"] if c["id"] == "iso9001")
    assert cert["status"] == "valid" and cert["files"][0]["path"] == "iso9001.png"


#: What no output may show: our own notes, instead of a public source or the configured label.
INTERNAL = ("standards.md", "founders", "brief", "[src:", "dinhee", "unsourced", "search-index")


def test_every_threshold_has_a_public_source_or_says_it_is_your_target(
    pack: Path, doc: dict[str, Any]
) -> None:
    from shopfloor.assess.options import load_options

    for grade in load_options(None).grades:  # the shipped rubric of levels
        for gate in grade.gates:
            if gate.source is None:
                continue
            assert not any(m in gate.source for m in INTERNAL), gate.source
            assert "《" in gate.source or "GB/T" in gate.source, gate.source  # a named document
            assert "工业和信息化部" in gate.source or "GB/T" in gate.source  # and its issuer
    for g in doc["gates"]:
        assert g["sourced"] or g["source"] == "your configured target", g
    pdf = subprocess.run(["pdftotext", str(pack / "report.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    html = (pack / "report.html").read_text("utf-8")
    for output in (html, pdf, json.dumps(doc, ensure_ascii=False)):
        assert not any(m in output for m in INTERNAL), [m for m in INTERNAL if m in output]
    assert "您配置的目标值" in html  # the zh report labels the configured targets

"""``evidence.xlsx``: the evidence pack's tables, one sheet each, in the report's language.

Every sheet starts with a title row; a synthetic assessment says "simulated data" there, and
every inferred item keeps its flag in its own column.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from shopfloor.assess.i18n import Texts

HEAD = PatternFill("solid", fgColor="E3ECF7")
WARN = Font(bold=True, color="B71C1C")
Row = Sequence[Any]


def _cell(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list | tuple):
        return "; ".join(str(_cell(x)) for x in v)
    return str(v)


def _sheet(wb: Workbook, title: str, banner: str, head: Row, rows: Sequence[Row]) -> Worksheet:
    ws = wb.create_sheet(title[:31])
    ws.append([banner])
    ws["A1"].font = WARN if banner else Font(bold=True)
    ws.append(list(head))
    for c in ws[2]:
        c.font, c.fill = Font(bold=True), HEAD
    for r in rows:
        ws.append([_cell(v) for v in r])
    for i, _h in enumerate(head, start=1):
        letter = ws.cell(row=2, column=i).column_letter
        width = max([len(str(head[i - 1]))] + [len(str(_cell(r[i - 1]) or "")) for r in rows[:200]])
        ws.column_dimensions[letter].width = min(60, max(8, width * 1.1))
    ws.freeze_panes = "A3"
    for row in ws.iter_rows(min_row=3):
        for c in row:
            c.alignment = Alignment(vertical="top", wrap_text=True)
    return ws


def render_xlsx(doc: Mapping[str, Any], workspace: Mapping[str, Any] | None = None) -> bytes:
    tx = Texts(str(doc["lang"]))
    t: Callable[[str], str] = tx.t
    banner = f"{t('simulated')} (synthetic: true)" if doc["synthetic"] else ""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = t("sheet.summary")[:31]
    summary.append([t("title")])
    summary["A1"].font = Font(bold=True, size=13)
    if banner:
        summary.append([banner, t("simulated_banner")])
        summary["A2"].font = WARN
    for k, v in (
        (t("enterprise"), doc["plant"]["enterprise"]),
        (t("plant"), doc["plant"]["name"]),
        (t("generated"), doc["generated"]),
        (t("rubric_version"), doc["rubric"]["version"]),
        (t("result.level"), doc["level_name"] or t("result.none")),
        (t("result.maturity"), doc["maturity_level"]),
        (t("result.total"), doc["maturity"]["total_score"]),
        (t("desensitised"), ", ".join(doc["desensitised"]) or "-"),
        ("synthetic", doc["synthetic"]),
    ):
        summary.append([k, v])
    summary.append([])
    for line in [*doc["explanation"], *doc["maturity"]["explanation"]]:
        summary.append([line])
    summary.column_dimensions["A"].width = 110
    yn = {True: t("yes"), False: t("no")}
    _sheet(wb, t("sheet.gates"), banner,
           [t("col.grade"), t("col.metric"), t("col.value"), "op", t("col.threshold"),
            t("col.passed"), t("col.margin"), t("col.source"), t("col.note")],
           [[g["grade"], tx.metric(g["metric"]), g["value"], g["op"], g["threshold"],
             yn[g["passed"]], g["margin"], g["source"], g["note"] or g["why_missing"]]
            for g in doc["gates"]])  # fmt: skip
    _sheet(wb, t("sheet.metrics"), banner,
           [t("col.metric"), "id", t("col.value"), "numerator", "denominator", t("col.formula"),
            t("col.basis"), t("col.window"), t("col.inferred"), t("col.note")],
           [[tx.metric(k), k, m["value"], m["numerator"], m["denominator"], m["formula"],
             m["basis"], str(m["window"] or "-"), yn[m["inferred"]], m["note"]]
            for k, m in doc["metrics"].items()])  # fmt: skip
    _sheet(wb, t("sheet.kpis"), banner,
           [t("col.scope"), "kpi", t("col.kpi"), t("col.baseline"), t("col.current"), t("col.unit"),
            t("col.formula"), t("col.reference")],
           [[r["scope"], r["kpi"], r["name_zh"] if tx.lang == "zh" else r["name"], r["baseline"],
             r["current"], r["unit"], r["formula"], r["reference"]]
            for r in doc["kpis"]])  # fmt: skip
    econ = doc["economics"]
    _sheet(wb, t("sheet.economics"), banner,
           [t("col.metric"), t("col.baseline"), t("col.current"), t("col.change"), t("col.unit"),
            t("col.formula"), t("col.note")],
           [[t("econ." + r["id"]), r["baseline"], r["current"], r["change"], r["unit"],
             r["formula"], r["note"]] for r in econ["rows"]]
           + [[t("econ.investment"), None, econ["investment"], None, econ["currency"], "", ""],
              [t("econ.annual_benefit"), None, econ["annual_net_benefit"], None, econ["currency"],
               econ["annual_hours_basis"], "; ".join(econ["notes"])],
              [t("econ.roi"), None, econ["roi"], None, "1", "", ""],
              [t("econ.payback"), None, econ["payback_years"], None, "a", "", ""]])  # fmt: skip
    net_keys = ("asset_id", "name", "class", "vendor", "model", "serial", "year", "location",
                "protocol_name", "endpoint", "points", "online", "key", "connectivity")  # fmt: skip
    _sheet(wb, t("sheet.networking"), banner,
           [t("col.asset_id"), t("col.name"), t("col.class"), t("col.vendor"), t("col.model"),
            t("col.serial"), t("col.year"), t("col.location"), t("col.protocol"), t("col.endpoint"),
            t("col.points"), t("col.online"), t("col.key"), "connectivity"],
           [[tx(f"online.{str(r[k]).lower()}") if k == "online" else r[k] for k in net_keys]
            for r in doc["networking_list"]])  # fmt: skip
    _sheet(wb, t("sheet.points"), banner,
           [t("col.asset_id"), t("col.tag"), t("col.description"), t("col.unit"),
            t("col.data_type"), t("col.rate_hz"), t("col.address")],
           [list(p.values()) for p in doc["data_points"]])  # fmt: skip
    _sheet(wb, t("sheet.scenarios"), banner,
           ["#", t("col.link"), t("col.scenario"), t("col.status"), t("col.ai"), t("col.features")],
           [[s["n"], tx(f"link.{s['element_link']}"), tx.name(s["zh"], s["en"]),
             tx(f"status.{s['status']}"), yn[s["ai"]],
             "; ".join(f"{f['feature']}: {f['status']} ({f['detail']})" for f in s["features"])]
            for s in doc["scenarios"]])  # fmt: skip
    probe = doc["interconnection_test"] or {"devices": []}
    _sheet(wb, t("sheet.probe"), banner,
           [t("col.asset_id"), t("col.protocol"), t("col.endpoint"), t("col.security"),
            t("col.result"), t("col.points"), t("col.rate"), t("col.latency"), t("col.errors"),
            t("col.passed")],
           [[d["equipment"], d["protocol"], d["endpoint"], d["security"], d["result"],
             f"{d['points_seen']}/{d['points_expected']}", d["update_rate_per_s"],
             d["latency_ms"], d["errors"], yn[d["passed"]]] for d in probe["devices"]])  # fmt: skip
    _sheet(wb, t("sheet.integration"), banner,
           [t("col.from"), t("col.to"), t("col.messages"), t("col.interface"), t("col.count"),
            t("col.count_source")],
           [list(f.values()) for f in doc["integration"]])  # fmt: skip
    _sheet(wb, t("sheet.requirements"), banner,
           [t("col.requirement"), t("col.level"), t("col.subdomain"), t("col.description"),
            t("col.inferred"), t("col.score"), t("col.source"), t("col.note")],
           [[r["id"], r["level"], r["subdomain"], tx.name(r["zh"], r["en"]), yn[r["inferred"]],
             r["score"], r["source"], (r["platform"] or {}).get("rule", "")
             + ((r["answer"] or {}).get("note") or "")] for r in doc["requirements"]])  # fmt: skip
    _sheet(wb, t("sheet.subdomains"), banner,
           [t("col.subdomain"), "id", "name_inferred", "applicable_from_level",
            "applicable_from_level_inferred", "applies_to", "applies_to_inferred", "weight",
            "weight_inferred", t("col.hints")],
           [[tx.name(s["zh"], s["en"]), s["id"], s["name_inferred"], s["applicable_from_level"],
             s["applicable_from_level_inferred"], s["applies_to"], s["applies_to_inferred"],
             s["weight"], s["weight_inferred"], s["evidence_hints"]]
            for s in doc["rubric"]["subdomains"]])  # fmt: skip
    gaps = doc["gaps"]
    _sheet(wb, t("sheet.gaps"), banner,
           ["kind", t("col.requirement"), t("col.level"), t("col.value"), t("col.threshold"),
            t("col.action"), t("col.hints"), t("col.features")],
           [[g["kind"], g["target"], g["level"], g["current"], g["needed"],
             t("action." + g["action"]), g["evidence_hints"],
             "; ".join(f"{f['id']} ({f['command']})" for f in g["features"])]
            for g in [*gaps["gates"], *gaps["maturity"]]])  # fmt: skip
    if workspace is not None:
        _sheet(wb, t("sheet.workspace"), banner,
               ["id", t("col.name"), t("col.category"), t("col.owner"), t("col.due"),
                t("col.status"), t("col.required"), t("col.files")],
               [[m["id"], m["name"], m["category"], m["owner"], m["due"], m["status"],
                 yn[m["required"]], [f["path"] for f in m["files"]]]
                for m in workspace["materials"]])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

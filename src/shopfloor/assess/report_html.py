"""``report.html``: the evidence pack as one self-contained HTML page (jinja2 template).

The same template renders the PDF (:mod:`shopfloor.assess.report_pdf`): one layout, two outputs.
Everything shown comes from the assessment document, already desensitised; the architecture
SVG is inlined; a synthetic assessment carries the "simulated data" banner and watermark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shopfloor.assess.catalog import features
from shopfloor.assess.explain import fmt_value
from shopfloor.assess.i18n import Texts

GAP_LIMIT = 40


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("shopfloor.assess", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _num(v: Any, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    return f"{v:,.{digits}f}" if isinstance(v, int | float) else str(v)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:+.1f}%"


def helpers(tx: Texts, doc: Mapping[str, Any]) -> dict[str, Any]:
    levels = {lv["level"]: lv for lv in doc["rubric"]["levels"]}
    feats = features()

    def level_name(n: int | None) -> str:
        if n is None:
            return tx("result.none")
        lv = levels[n]
        return str(lv["zh"] if tx.lang == "zh" else lv["en"])

    def kpi_value(v: float | None, unit: str) -> str:
        return _num(v, 4 if unit in {"1", "kW.h/CNY"} else 3)

    return {
        "t": tx,
        "num": _num,
        "pct": _pct,
        "yesno": lambda b: tx("yes") if b else tx("no"),
        "online": lambda v: tx(f"online.{str(v).lower()}"),
        "metric": tx.metric,
        "link": lambda x: tx(f"link.{x}"),
        "feature": lambda f: tx.name(feats[f].zh, feats[f].en) if f in feats else f,
        "flag": lambda b: tx("inferred") if b else "",
        "gate_value": lambda m, v: fmt_value(tx, m, tuple(v) if isinstance(v, list) else v),
        "kpi_value": kpi_value,
        "level_name": level_name,
        "window": lambda w: "-" if not w else _window(w),
        "gap_limit": GAP_LIMIT,
        "settings": lambda s: ", ".join(f"{k} = {v:g}" for k, v in (s or {}).items()),
    }


def _window(w: Mapping[str, Any]) -> str:
    if "as_of" in w:
        return f"{w['as_of']}"
    if "start" in w:
        return f"{w['start']} — {w['end']}"
    return "; ".join(f"{k}: {v['start']} — {v['end']}" for k, v in w.items())


def render_html(doc: Mapping[str, Any], svg: str, *, font: str, workspace_html: str = "") -> str:
    tx = Texts(str(doc["lang"]))
    env = _env()
    env.filters["link"] = lambda x: tx(f"link.{x}")
    css = env.get_template("report.css").render(font=font)
    return env.get_template("report.html.j2").render(
        d=doc, svg=svg, css=css, workspace=workspace_html, **helpers(tx, doc)
    )

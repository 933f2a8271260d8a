"""Gantt charts: a self-contained HTML page (inline SVG, no scripts) and a PNG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from shopfloor.errors import BadInput
from shopfloor.schedule.gantt import gantt_html, write_gantt
from shopfloor.schedule.solve import solve
from tests.test_schedule_cases import flexible_setup_problem


def test_html_is_self_contained_svg(tmp_path: Path) -> None:
    p = flexible_setup_problem()
    sched = solve(p, "rules", time_limit=1).schedule
    html = gantt_html(p, sched, "flex <test>")
    assert "<script" not in html and "https://" not in html and "flex &lt;test&gt;" in html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text or "" for t in root.iter(f"{ns}title")]
    assert sum("op" in t and " on m" in t for t in titles) == p.n_ops
    assert any("unavailable 4-8" in t for t in titles) and any("(frozen)" in t for t in titles)
    out = tmp_path / "g.html"
    write_gantt(p, sched, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_png_and_bad_suffix(tmp_path: Path) -> None:
    p = flexible_setup_problem()
    sched = solve(p, "rules", time_limit=1).schedule
    out = tmp_path / "g.png"
    write_gantt(p, sched, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(BadInput, match=r"\.html or \.png"):
        write_gantt(p, sched, tmp_path / "g.pdf")

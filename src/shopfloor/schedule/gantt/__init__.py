"""Gantt charts: self-contained HTML (inline SVG) and PNG (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from shopfloor.errors import BadInput
from shopfloor.schedule.gantt.png import write_png
from shopfloor.schedule.gantt.svg import gantt_html, gantt_svg
from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule


def write_gantt(problem: Problem, schedule: Schedule, path: str | Path, title: str = "") -> None:
    """Write a Gantt chart; the format follows the suffix: ``.html`` / ``.htm`` or ``.png``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        p.write_text(gantt_html(problem, schedule, title), encoding="utf-8")
    elif suffix == ".png":
        write_png(problem, schedule, p, title)
    else:
        raise BadInput(
            f"Gantt file {p.name!r}: use a .html or .png name", code="schedule.bad_option"
        )


__all__ = ["gantt_html", "gantt_svg", "write_gantt", "write_png"]

"""Gantt chart as SVG, and as a self-contained HTML page around it (no scripts, no CDN).

One row per machine; one bar per operation coloured by job and labelled ``job.op`` where it
fits; downtime hatched grey; frozen operations outlined; ``now`` as a red line. Hovering a bar
shows its job, operation, machine and times (SVG ``<title>``).
"""

from __future__ import annotations

from html import escape

from shopfloor.schedule.gantt.colors import job_color
from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule

ROW_H, BAR_H, LEFT, TOP, RIGHT, WIDTH = 26, 18, 110, 40, 20, 1200


def _ticks(span: int, width: float) -> list[int]:
    """Tick positions every 1, 2 or 5 times a power of ten, about 90 pixels apart."""
    raw = span / max(1.0, width / 90)
    step = 1
    while True:
        for mult in (1, 2, 5):
            if step * mult >= raw:
                return list(range(0, span + 1, step * mult))
        step *= 10


def gantt_svg(problem: Problem, schedule: Schedule, title: str = "") -> str:
    end = max(schedule.makespan, problem.now, 1)
    plot_w = WIDTH - LEFT - RIGHT
    scale = plot_w / end
    height = TOP + ROW_H * problem.n_machines + 30
    x = lambda t: LEFT + t * scale  # noqa: E731 - a local coordinate map reads best as a lambda
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        '<defs><pattern id="down" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="18" text-anchor="end">makespan {schedule.makespan}</text>',
    ]
    for t in _ticks(end, plot_w):
        out.append(
            f'<line x1="{x(t):.1f}" y1="{TOP - 4}" x2="{x(t):.1f}" '
            f'y2="{height - 26}" stroke="#ddd"/>'
            f'<text x="{x(t):.1f}" y="{height - 12}" text-anchor="middle">{t}</text>'
        )
    for m, name in enumerate(problem.machines):
        y = TOP + m * ROW_H
        out.append(
            f'<text x="{LEFT - 6}" y="{y + ROW_H / 2 + 4}" text-anchor="end">'
            f"{escape(name[-16:])}</text>"
        )
        for ds, de in problem.downtimes_on.get(m, ()):
            if ds < end:
                w = (min(de, end) - ds) * scale
                out.append(
                    f'<rect x="{x(ds):.1f}" y="{y + 2}" width="{w:.1f}" '
                    f'height="{ROW_H - 4}" fill="url(#down)"><title>{escape(name)}: '
                    f"unavailable {ds}-{de}</title></rect>"
                )
    for a in schedule:
        bar_y = TOP + a.machine * ROW_H + (ROW_H - BAR_H) / 2
        w = max(1.0, (a.end - a.start) * scale)
        job = problem.jobs[a.job]
        frozen = (a.job, a.op) in problem.frozen_at
        stroke = ' stroke="#000" stroke-width="2"' if frozen else ' stroke="#fff"'
        tip = (
            f"{job.name or f'job {a.job}'} op {a.op} on {problem.machines[a.machine]}: "
            f"{a.start}-{a.end}" + (" (frozen)" if frozen else "")
        )
        out.append(
            f'<rect x="{x(a.start):.1f}" y="{bar_y:.1f}" width="{w:.1f}" height="{BAR_H}" '
            f'fill="{job_color(a.job)}"{stroke}><title>{escape(tip)}</title></rect>'
        )
        label = f"{a.job}.{a.op}"
        if w > 7 * len(label):
            out.append(
                f'<text x="{x(a.start) + w / 2:.1f}" y="{bar_y + BAR_H - 5:.1f}" '
                f'text-anchor="middle" fill="#111" pointer-events="none">{label}</text>'
            )
    if problem.now > 0:
        out.append(
            f'<line x1="{x(problem.now):.1f}" y1="{TOP - 6}" x2="{x(problem.now):.1f}" '
            f'y2="{height - 26}" stroke="#d00" stroke-width="2"><title>now '
            f"{problem.now}</title></line>"
        )
    out.append("</svg>")
    return "\n".join(out)


def gantt_html(problem: Problem, schedule: Schedule, title: str = "") -> str:
    heading = escape(title or problem.name or "schedule")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>body{{margin:16px;font-family:sans-serif}}"
        "</style></head><body>\n"
        + gantt_svg(problem, schedule, title or problem.name)
        + "\n</body></html>\n"
    )

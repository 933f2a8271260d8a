"""Gantt chart as PNG with matplotlib (the ``plot`` extra), without touching pyplot's state."""

from __future__ import annotations

from pathlib import Path

from shopfloor.errors import BadInput
from shopfloor.schedule.gantt.colors import job_color
from shopfloor.schedule.model import Problem
from shopfloor.schedule.schedule import Schedule


def write_png(problem: Problem, schedule: Schedule, path: str | Path, title: str = "") -> None:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise BadInput(
            "a PNG Gantt chart needs matplotlib: pip install 'shopfloor[plot]'",
            code="schedule.missing_extra",
        ) from None
    rows = problem.n_machines
    fig = Figure(figsize=(12, max(2.5, 0.35 * rows + 1.2)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for m in range(rows):
        for ds, de in problem.downtimes_on.get(m, ()):
            ax.broken_barh(
                [(ds, de - ds)],
                (m - 0.4, 0.8),
                facecolors="#dddddd",
                hatch="//",
                edgecolor="#999999",
            )
    for a in schedule:
        frozen = (a.job, a.op) in problem.frozen_at
        ax.broken_barh(
            [(a.start, a.end - a.start)],
            (a.machine - 0.35, 0.7),
            facecolors=job_color(a.job),
            edgecolor="black" if frozen else "white",
            linewidth=1.5 if frozen else 0.5,
        )
    if problem.now > 0:
        ax.axvline(problem.now, color="#dd0000", linewidth=1.5)
    ax.set_yticks(range(rows))
    ax.set_yticklabels([name[-16:] for name in problem.machines])
    ax.invert_yaxis()
    ax.set_xlim(0, max(schedule.makespan, problem.now, 1))
    ax.set_xlabel("time")
    ax.set_title(f"{title or problem.name or 'schedule'} - makespan {schedule.makespan}")
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    fig.savefig(str(path), format="png")

"""``shopfloor schedule``: solve instance files, list the solvers."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from shopfloor.schedule.formats import PARSERS, read_instance
from shopfloor.schedule.gantt import write_gantt
from shopfloor.schedule.registry import specs
from shopfloor.schedule.solve import solve

app = typer.Typer(no_args_is_help=True)


@app.command("solve")
def solve_command(
    file: Path = typer.Argument(..., help="Instance file (OR-Library, Taillard or .fjs)."),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds to search."),
    solver: str = typer.Option("default", "--solver", help="Solver name (see 'solvers')."),
    threads: int = typer.Option(1, "--threads", help="Worker threads."),
    fmt: str | None = typer.Option(
        None, "--format", help=f"One of {', '.join(PARSERS)}; guessed from the file if omitted."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the randomised parts."),
    gantt: Path | None = typer.Option(None, "--gantt", help="Write a Gantt chart (.html or .png)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Solve an instance: makespan, lower bound, status and the schedule (jobs, operations and
    machines numbered from 0 in file order)."""
    problem = read_instance(file, fmt)
    res = solve(problem, solver, time_limit=time_limit, threads=threads, seed=seed)
    if gantt is not None:
        write_gantt(problem, res.schedule, gantt, title=f"{problem.name} ({res.solver})")
    if as_json:
        typer.echo(json.dumps(res.to_json()))
        return
    typer.echo(f"{problem.name}: {len(problem.jobs)} jobs x {problem.n_machines} machines")
    typer.echo(
        f"makespan {res.makespan}  lower bound {res.lower_bound}  {res.status}  "
        f"solver {res.solver}  {res.wall_s:.2f} s"
    )
    if gantt is not None:
        typer.echo(f"Gantt chart: {gantt}")


@app.command("solvers")
def solvers_command(
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
) -> None:
    """List the solvers by name."""
    table = specs()
    if as_json:
        typer.echo(json.dumps({name: s.help for name, s in table.items()}))
        return
    width = max(len(n) for n in table)
    for name, s in table.items():
        typer.echo(f"{name:<{width}}  {s.help}")

"""The ``shopfloor`` command.

Each package owns its sub-commands in its own ``cli.py`` (a ``typer.Typer`` named ``app``); this
module only mounts them and turns :class:`~shopfloor.errors.ShopfloorError` into exit codes:
2 for bad input (the message names what is wrong), 1 for any other failure.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from shopfloor import __version__
from shopfloor.errors import ShopfloorError

#: (sub-command, module holding ``app``, help). Adding a command group is adding a row.
SUBCOMMANDS: list[tuple[str, str, str]] = [
    ("plant", "shopfloor.plant.cli", "Show and validate plant files."),
    ("sim", "shopfloor.sim.cli", "Run the plant simulation (virtual time) or serve it (paced)."),
    (
        "sparkplug",
        "shopfloor.connect.sparkplug.cli",
        "Sparkplug B tools (decode captured payloads).",
    ),
    ("bus", "shopfloor.bus.cli", "Run the embedded MQTT broker; watch the UNS."),
    ("bench", "shopfloor.bench.cli", "Benchmarks: each prints one JSON object."),
    ("pdm", "shopfloor.maintenance.cli", "Predictive maintenance: evaluate, train, score."),
    ("mes", "shopfloor.mes.cli", "ISA-95 operations: orders, dispatch, material, quality, alarms."),
    ("schedule", "shopfloor.schedule.cli", "Scheduling: solve job-shop instances, Gantt charts."),
    ("erp", "shopfloor.erp.cli", "ERP integration: B2MML import and export."),
    ("user", "shopfloor.auth.cli", "Users, passwords and API tokens."),
]

#: Single commands: (name, module, function name, help).
COMMANDS: list[tuple[str, str, str, str]] = [
    ("demo", "shopfloor.runtime.demo", "demo_command", "Run the platform on the virtual plant."),
    ("serve", "shopfloor.runtime.serve", "serve_command", "Run the platform on your plant."),
    ("trace", "shopfloor.mes.cli", "trace_command", "Genealogy of a serial or lot."),
    ("query", "shopfloor.historian.cli", "query_command", "Query the historian."),
    ("kpi", "shopfloor.kpi.cli", "kpi_command", "State time, counts and OEE of a machine or line."),
    (
        "run",
        "shopfloor.runtime.run",
        "run_command",
        "Simulation + MES + KPIs in virtual time, one process.",
    ),
    (
        "assess",
        "shopfloor.assess.cli",
        "assess_command",
        "Maturity self-assessment and MIIT evidence pack.",
    ),
]

#: Commands added to a group that lives in a package which must not know them (``sim`` knows
#: no protocol servers, so ``sim serve`` comes from the runtime): (group, name, module, function).
NESTED: list[tuple[str, str, str, str]] = [
    ("sim", "serve", "shopfloor.runtime.virtual", "serve_command"),
]


def _version(value: bool) -> None:
    """``--version``: printed while the options are read, before any command is needed."""
    if value:
        typer.echo(f"shopfloor {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_version
    ),
    log_level: str = typer.Option("WARNING", "--log-level", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _command_name(argv: list[str]) -> str | None:
    """The sub-command ``argv`` asks for (the first word that is not a root option)."""
    it = iter(argv)
    for word in it:
        if word == "--log-level":
            next(it, None)
        elif not word.startswith("-"):
            return word
    return None


def build_app(argv: list[str]) -> typer.Typer:
    """The root command, importing only the package of the command asked for.

    Start-up stays fast: ``shopfloor plant show`` does not import the scheduler or the models.
    The other commands are listed with their help text for ``shopfloor --help``.
    """
    app = typer.Typer(
        name="shopfloor",
        help="shopfloor: connect every machine, keep its history, run the floor, decide, prove.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    wanted = _command_name(argv)
    for name, module, help_text in SUBCOMMANDS:
        if name != wanted:
            app.add_typer(typer.Typer(help=help_text), name=name, help=help_text)
            continue
        sub: typer.Typer = importlib.import_module(module).app
        for group, child, nested_module, func in NESTED:
            if group == name:
                sub.command(child)(getattr(importlib.import_module(nested_module), func))
        app.add_typer(sub, name=name, help=help_text)
    for name, module, func, help_text in COMMANDS:
        if name != wanted:
            app.command(name, help=help_text)(_not_loaded)
            continue
        app.command(name, help=help_text)(getattr(importlib.import_module(module), func))
    return app


def _not_loaded() -> None:  # listed for --help only; build_app loads the real one when asked
    raise typer.Exit(1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        build_app(args)(args=args, standalone_mode=False)
    except ShopfloorError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        return 2 if exc.bad_input else 1
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # usage errors (unknown option, missing argument...)
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())

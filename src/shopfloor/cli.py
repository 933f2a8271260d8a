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

app = typer.Typer(
    name="shopfloor",
    help="shopfloor: connect every machine, keep its history, run the floor, decide, prove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: (sub-command, module holding ``app``, help). Adding a command group is adding a row.
SUBCOMMANDS: list[tuple[str, str, str]] = [
    ("plant", "shopfloor.plant.cli", "Show and validate plant files."),
    ("sim", "shopfloor.sim.cli", "Run the plant simulation (virtual time) or serve it (paced)."),
    (
        "sparkplug",
        "shopfloor.connect.sparkplug.cli",
        "Sparkplug B tools (decode captured payloads).",
    ),
    ("bench", "shopfloor.bench.cli", "Benchmarks: each prints one JSON object."),
]

#: Single commands: (name, module, function name).
COMMANDS: list[tuple[str, str, str]] = [
    ("demo", "shopfloor.runtime.demo", "demo_command"),
]


def _mount() -> None:
    for name, module, help_text in SUBCOMMANDS:
        try:
            sub = importlib.import_module(module).app
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # that package is not part of this build
            raise
        app.add_typer(sub, name=name, help=help_text)
    for name, module, func in COMMANDS:
        try:
            fn = getattr(importlib.import_module(module), func)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        app.command(name)(fn)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    log_level: str = typer.Option("WARNING", "--log-level", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def main(argv: list[str] | None = None) -> int:
    _mount()
    try:
        app(args=argv, standalone_mode=False)
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
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``shopfloor query``: read the historian from the command line.

``shopfloor query TAG_OR_PATH --from ISO --to ISO [--bucket 1m] [--agg avg] [--store PATH|URL]
[--format json|csv|table]``. The command opens the store itself (read-only) and hands it to
:func:`run_query`, the seam a remote client can replace when a running service owns the DuckDB
file.
"""

from __future__ import annotations

from pathlib import Path

import typer

from shopfloor.historian.results import FORMATS, QueryResult
from shopfloor.historian.store import Historian
from shopfloor.historian.stores import open_store

app = typer.Typer(no_args_is_help=True, add_completion=False)

DEFAULT_STORE_NAME = "historian.duckdb"


def default_store() -> str:
    """``<data_dir>/historian.duckdb`` from the platform settings."""
    from shopfloor.config import settings

    return str(Path(settings().data_dir) / DEFAULT_STORE_NAME)


def run_query(
    store: Historian,
    target: str,
    start: str,
    end: str,
    bucket: str | None = None,
    agg: str = "avg",
) -> QueryResult:
    """The query behind the command, on an open store."""
    from shopfloor.historian.query import query

    return query(store, target, start, end, bucket=bucket, agg=agg)


@app.command("query")
def query_command(
    target: str = typer.Argument(..., metavar="TAG_OR_PATH", help="A tag id or a path prefix."),
    start: str = typer.Option(..., "--from", help="Start instant, ISO 8601 with zone (incl.)."),
    end: str = typer.Option(..., "--to", help="End instant, ISO 8601 with zone (excl.)."),
    bucket: str | None = typer.Option(None, "--bucket", help="Bucket width: 1s, 1m, 15m, 1h..."),
    agg: str = typer.Option(
        "avg", "--agg", help="avg, min, max, count, sum, first, last (comma list), step, linear."
    ),
    store: str | None = typer.Option(
        None, "--store", help="DuckDB file or postgresql:// URL (default: data_dir store)."
    ),
    fmt: str = typer.Option("table", "--format", help="json, csv or table."),
) -> None:
    """Raw samples, or aggregates per bucket, of a tag or of every tag under a path."""
    if fmt not in FORMATS:
        from shopfloor.errors import BadInput

        raise BadInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    with open_store(store or default_store(), read_only=True) as historian:
        result = run_query(historian, target, start, end, bucket, agg)
    typer.echo(result.render(fmt))

"""``shopfloor query``: read the historian from the command line, or from Python.

``shopfloor query TAG_OR_PATH --from ISO --to ISO [--bucket 1m] [--agg avg] [--store PATH|URL]
[--format json|csv|table]`` calls :func:`query_history`, the same API-free function Python code
uses. DuckDB lets one process own a file: while a service holds the store (``shopfloor demo``'s
ingest), it serves queries on a loopback endpoint and writes where in an endpoint file next to the
store (``historian.duckdb.endpoint``, see :mod:`shopfloor.runtime.ingest_query`).
:func:`query_history` asks that service when the file names a live process, and otherwise opens
the store itself, read-only. A PostgreSQL store is always opened directly.

The endpoint speaks one request per connection: a JSON line ``{"token", "target", "start",
"end", "bucket", "agg"}``; the answer is a JSON line ``{"ok": true, "source", "bytes": n}``
followed by ``n`` bytes of an Arrow IPC stream, or ``{"ok": false, "code", "message",
"bad_input"}``.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import typer

from shopfloor.errors import BadInput, ShopfloorError
from shopfloor.historian.backend import HistorianError
from shopfloor.historian.results import FORMATS, QueryResult
from shopfloor.historian.store import Historian
from shopfloor.historian.stores import is_postgres_url, open_store
from shopfloor.processes import alive

if TYPE_CHECKING:
    from shopfloor.config import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False)

DEFAULT_STORE_NAME = "historian.duckdb"


def default_store(cfg: Settings | None = None) -> str:
    """The ``historian_url`` setting, else ``<data_dir>/historian.duckdb``."""
    from shopfloor.config import settings

    s = cfg or settings()
    return s.historian_url or str(Path(s.data_dir) / DEFAULT_STORE_NAME)


ENDPOINT_SUFFIX = ".endpoint"
#: Seconds a query over the endpoint may take before the client gives up.
ENDPOINT_TIMEOUT_S = 120.0

Instant = str | int | datetime


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a store's owner writes next to it: where it answers queries."""

    pid: int
    host: str
    port: int
    token: str
    store: str

    def to_json(self) -> str:
        return json.dumps(
            dict(pid=self.pid, host=self.host, port=self.port, token=self.token, store=self.store)
        )


def endpoint_path(store: str | Path) -> Path:
    """``<store>.endpoint``: the endpoint file of a DuckDB store."""
    return Path(str(store) + ENDPOINT_SUFFIX)


def read_endpoint(store: str | Path) -> Endpoint | None:
    """The endpoint of the process holding ``store``, or None (no file, or its process is gone)."""
    try:
        doc = json.loads(endpoint_path(store).read_text())
        endpoint = Endpoint(
            int(doc["pid"]),
            str(doc["host"]),
            int(doc["port"]),
            str(doc["token"]),
            str(doc["store"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return endpoint if alive(endpoint.pid) else None


def query_history(
    target: str,
    start: Instant,
    end: Instant,
    bucket: str | None = None,
    agg: str = "avg",
    *,
    store: str | Path | None = None,
) -> QueryResult:
    """Raw samples or bucket aggregates of a tag, or of every tag under a path (see
    :func:`shopfloor.historian.query.query`), from the running service that holds ``store``
    (default: the data_dir store) or, when none does, from the store opened read-only."""
    url = str(store or default_store())
    if not is_postgres_url(url):
        endpoint = read_endpoint(url)
        if endpoint is not None:
            try:
                return ask_endpoint(endpoint, target, start, end, bucket, agg)
            except ConnectionRefusedError:
                pass  # the owner is going or gone: its lock is too, or open_store says busy
    with open_store(url, read_only=True) as historian:
        return run_query(historian, target, start, end, bucket, agg)


def ask_endpoint(
    endpoint: Endpoint, target: str, start: Instant, end: Instant, bucket: str | None, agg: str
) -> QueryResult:
    """Run one query on a service's endpoint; its errors come back as they were raised."""
    request = dict(
        token=endpoint.token,
        target=target,
        start=_wire_instant(start),
        end=_wire_instant(end),
        bucket=bucket,
        agg=agg,
    )
    with (
        socket.create_connection((endpoint.host, endpoint.port), ENDPOINT_TIMEOUT_S) as sock,
        sock.makefile("rb") as reader,
    ):
        sock.sendall(json.dumps(request).encode() + b"\n")
        header = json.loads(reader.readline() or b"{}")
        if not header.get("ok"):
            error = BadInput if header.get("bad_input") else HistorianError
            raise error(
                f"historian service (pid {endpoint.pid}): "
                f"{header.get('message', 'closed the connection without an answer')}",
                code=header.get("code"),
            )
        body = reader.read(int(header["bytes"]))
    return QueryResult(pa.ipc.open_stream(body).read_all(), str(header["source"]))


def _wire_instant(value: Instant) -> str | int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BadInput(f"instant {value} has no time zone; give one (e.g. UTC)")
        return value.isoformat()
    return value


def answer(historian: Historian, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The server side of one endpoint request (the token already checked)."""
    try:
        result = run_query(
            historian,
            str(request["target"]),
            request["start"],
            request["end"],
            request.get("bucket"),
            str(request.get("agg") or "avg"),
        )
    except KeyError as exc:
        error = BadInput(f"query request lacks {exc.args[0]!r}")
        return dict(ok=False, code=error.code, message=error.message, bad_input=True), b""
    except ShopfloorError as exc:
        return dict(ok=False, code=exc.code, message=exc.message, bad_input=exc.bad_input), b""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, result.table.schema) as writer:
        writer.write_table(result.table)
    body = sink.getvalue().to_pybytes()
    return dict(ok=True, source=result.source, bytes=len(body)), body


def run_query(
    store: Historian,
    target: str,
    start: Instant,
    end: Instant,
    bucket: str | None = None,
    agg: str = "avg",
) -> QueryResult:
    """The query behind the command, on an open store (under its lock: a service's writers
    share the connection)."""
    from shopfloor.historian.query import query

    with store.lock:
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
    """Raw samples, or aggregates per bucket, of a tag or of every tag under a path (asks the
    running service when one holds the store)."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    result = query_history(target, start, end, bucket, agg, store=store)
    typer.echo(result.render(fmt))

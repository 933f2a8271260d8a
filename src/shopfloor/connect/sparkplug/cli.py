"""``shopfloor sparkplug``: look inside captured Sparkplug B payloads.

``shopfloor sparkplug decode FILE.bin [--birth BIRTH.bin] [--topic TOPIC] [--json]`` prints the
payload as a table, or with ``--json`` in the shape of the shared interoperability vectors. A
malformed payload exits 2 with ``error [codec.malformed]: malformed payload at byte N: reason``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer

from shopfloor.connect.sparkplug.codec import Metric, Payload, decode_payload, payload_to_json
from shopfloor.connect.sparkplug.jsonview import value_json
from shopfloor.connect.sparkplug.topics import parse_topic
from shopfloor.errors import BadInput, DecodeError, NotFound

app = typer.Typer(no_args_is_help=True)

_WIDTH = 60


@app.callback()
def _group() -> None:
    """Sparkplug B tools."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror or exc})") from None


@app.command("decode")
def decode(
    file: Path = typer.Argument(..., help="A file holding one payload's bytes (.bin)."),
    birth: Path | None = typer.Option(
        None, "--birth", help="The NBIRTH/DBIRTH payload that defines the aliases in FILE."
    ),
    topic: str | None = typer.Option(
        None, "--topic", help="The topic FILE came on: also check that message type's rules."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Decode a Sparkplug B payload; exit 2 naming the byte if it is malformed."""
    data = _read(file)
    msg_type = parse_topic(topic).message_type if topic is not None else None
    birth_payload = None
    if birth is not None:
        try:
            birth_payload = decode_payload(_read(birth))
        except DecodeError as exc:
            raise DecodeError(f"{exc.reason} (in birth file {birth})", exc.offset) from None
    p = decode_payload(data, birth=birth_payload, message_type=msg_type)
    if as_json:
        typer.echo(json.dumps(payload_to_json(p), indent=2, ensure_ascii=False))
    else:
        typer.echo(render(p, str(file)))


def render(p: Payload, title: str) -> str:
    """A payload as a readable table."""
    lines = [
        title,
        f"  timestamp  {_when(p.timestamp)}",
        f"  seq        {'-' if p.seq is None else p.seq}",
    ]
    if p.uuid is not None:
        lines.append(f"  uuid       {p.uuid}")
    if p.body is not None:
        lines.append(f"  body       {len(p.body)} bytes")
    rows = [("metric", "alias", "datatype", "value", "flags")]
    rows += [_row(m) for m in p.metrics]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines.append(f"  {len(p.metrics)} metric(s)")
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r[:4], widths, strict=True)]
        lines.append("  " + "  ".join([*cells, r[4]]).rstrip())
    return "\n".join(lines)


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    try:
        iso = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")
    except (OverflowError, ValueError, OSError):
        return str(ms)
    return f"{ms} ({iso.replace('+00:00', 'Z')})"


def _row(m: Metric) -> tuple[str, str, str, str, str]:
    name = "?" if m.name is None else m.name + (" (from birth)" if m.name_from_birth else "")
    datatype = "?" if m.datatype is None else m.datatype.name
    if m.datatype_from_birth:
        datatype += " (from birth)"
    flags = [
        flag
        for flag, on in (
            ("historical", m.is_historical),
            ("transient", m.is_transient),
            (f"{len(m.properties or [])} properties", m.properties is not None),
            ("metadata", m.metadata is not None),
            (f"t={m.timestamp}", m.timestamp is not None),
        )
        if on
    ]
    value = "null" if m.is_null else _short(value_json(m.value))
    return name, "" if m.alias is None else str(m.alias), datatype, value, " ".join(flags)


def _short(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."

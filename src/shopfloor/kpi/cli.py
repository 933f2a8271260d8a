"""``shopfloor kpi PATH --from T --to T``: one machine's or line's window, asked of the running
service (the events live there), so anyone can check a machine against what it did.

The command calls ``GET /api/v1/kpi`` of the API (``--api``, default the settings' host and
``api_port``) with an API token (``--token`` or ``SHOPFLOOR_TOKEN``; ``shopfloor user token USER
--name cli`` makes one) and prints the window's ISO 22400 time elements, produced / good /
defective counts and the OEE components, as text or ``--json``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import typer

from shopfloor.errors import BadInput, ConnectorUnavailable, NotFound, ShopfloorError

#: Seconds to wait for the service's answer.
TIMEOUT_S = 60.0

#: OEE components and the related figures shown, in order: (key, label).
FIGURES = (
    ("availability", "Availability"),
    ("effectiveness", "Effectiveness"),
    ("quality_ratio", "Quality ratio"),
    ("oee", "OEE"),
)


def _api_default() -> str:
    from shopfloor.config import settings

    s = settings()
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::") else s.host
    return f"http://{host}:{s.api_port}"


def _get(api: str, token: str, params: dict[str, str]) -> dict[str, Any]:
    url = f"{api.rstrip('/')}/api/v1/kpi?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())
        except ValueError:
            error = {}
        message = f"{api}: {exc.code} {error.get('message') or exc.reason}"
        if exc.code == 404:
            raise NotFound(message) from None
        if 400 <= exc.code < 500:
            raise BadInput(message) from None
        raise ShopfloorError(message) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectorUnavailable(
            f"no shopfloor API at {api} ({reason}); start `shopfloor demo` or `shopfloor serve`, "
            "or give --api"
        ) from None


def window_kpis(api: str, token: str, target: str, start: str, end: str) -> dict[str, Any]:
    """The window of ``target`` (an equipment or line path or id): scope, KPIs and quantities."""
    for scope in ("equipment", "line"):
        params = {"scope": scope, "id": target, "start": start, "end": end, "detail": "true"}
        try:
            doc = _get(api, token, params)
        except NotFound:
            continue
        ((path, entry),) = doc["items"].items()
        basket = entry["basket"]
        return {
            "target": path,
            "scope": scope,
            "window": doc["window"],
            "until": doc["until"],
            "time_elements_s": basket["time_elements_s"],
            "planned_busy_time_s": basket["pbt_s"],
            "produced": basket["pq"],
            "good": basket["gq"],
            "defective": basket["sq"],
            "rework": basket["rq"],
            "kwh": basket["kwh"],
            "kpi": {k: entry["kpi"].get(k) for k, _label in FIGURES},
            "all_kpi": entry["kpi"],
            "events_from": doc["events_from"],
            "rejected_events": doc["rejected_events"],
        }
    raise NotFound(f"{target!r} is neither an equipment nor a line of the served plant")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f} %"


def render_text(doc: dict[str, Any]) -> str:
    w = doc["window"]
    lines = [
        f"{doc['scope']} {doc['target']}",
        f"window    {w['start']} .. {w['end']}  (events up to {doc['until'] or '-'})",
        "time      "
        + "  ".join(f"{k} {v:.0f} s" for k, v in doc["time_elements_s"].items())
        + f"  (planned busy {doc['planned_busy_time_s']:.0f} s)",
        f"counts    produced {doc['produced']}  good {doc['good']}  defective {doc['defective']}"
        f"  rework {doc['rework']}",
    ]
    lines += [f"{label:<14}{_pct(doc['kpi'][key])}" for key, label in FIGURES]
    if doc["kwh"] is not None:
        lines.append(f"energy    {doc['kwh']:.3f} kWh")
    if doc["rejected_events"]:
        lines.append(f"warning   {doc['rejected_events']} events rejected by the KPI engine")
    return "\n".join(lines)


def kpi_command(
    target: str = typer.Argument(..., metavar="EQUIPMENT_OR_LINE_PATH", help="Path or id."),
    start: str = typer.Option(..., "--from", help="Start instant, ISO 8601 with zone (incl.)."),
    end: str = typer.Option(..., "--to", help="End instant, ISO 8601 with zone (excl.)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    api: str | None = typer.Option(None, "--api", help="API base URL (default: from settings)."),
    token: str | None = typer.Option(
        None, "--token", help="API token (default: the SHOPFLOOR_TOKEN environment variable)."
    ),
) -> None:
    """State time, counts and OEE components of one machine or line over a window, from the
    running service."""
    token = token or os.environ.get("SHOPFLOOR_TOKEN")
    if not token:
        raise BadInput(
            "an API token is needed: give --token or set SHOPFLOOR_TOKEN "
            "(make one with `shopfloor user token USERNAME --name cli`)",
            field="token",
        )
    doc = window_kpis(api or _api_default(), token, target, start, end)
    typer.echo(json.dumps(doc, indent=2) if as_json else render_text(doc))

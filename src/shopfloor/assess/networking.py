"""The equipment networking list (设备联网清单): one row per equipment of the plant.

Row fields follow standards.md section 7 (and OPC 40001-1 identification): asset id, name,
class, vendor, model, serial, year, ISA-95 location, protocol, endpoint, data collection points
(the equipment's tag count) and online status (from the interconnection test or the live
connector status; unknown when neither ran; equipment with ``connectivity: none`` is offline by
definition). :func:`data_points` lists every tag with its source address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopfloor.assess.probe import ProbeReport
from shopfloor.connect.registry import registry, title
from shopfloor.plant.model import Equipment, Plant, Protocol, Tag


def _endpoint(plant: Plant, eq: Equipment, probed: str | None) -> str:
    if probed:
        return probed
    if eq.protocol is Protocol.NONE:
        return "-"
    row = registry().get(eq.protocol.value)
    return row.where(plant, eq) if row is not None else "not configured"


def networking_list(
    plant: Plant, probe: ProbeReport | None, online: Mapping[str, bool] | None
) -> list[dict[str, Any]]:
    probed = {d.equipment: d for d in probe.devices} if probe is not None else {}
    names = {
        "area": {a.id: a.name for a in plant.areas},
        "line": {ln.id: ln.name for a in plant.areas for ln in a.lines},
    }
    rows = []
    for path, area, line, cell, eq in plant.walk():
        d = probed.get(path)
        if not eq.networked:
            status: bool | None = False
        elif d is not None:
            status = d.ok
        elif online is not None and path in online:
            status = online[path]
        else:
            status = None
        rows.append(
            {
                "asset_id": eq.id,
                "name": eq.name,
                "class": eq.cls.value,
                "vendor": eq.vendor,
                "model": eq.model,
                "serial": eq.serial,
                "year": eq.commissioned.year if eq.commissioned else None,
                "commissioned": eq.commissioned.isoformat() if eq.commissioned else None,
                "location": path.rsplit("/", 1)[0],
                "location_names": " / ".join(
                    x for x in (plant.site.name, names["area"].get(area.id),
                                names["line"].get(line.id), cell.name) if x
                ),
                "path": path,
                "key": eq.key,
                "cnc": eq.cnc,
                "automated": eq.automated,
                "connectivity": eq.connectivity.value,
                "protocol": eq.protocol.value,
                "protocol_name": title(eq.protocol.value),
                "endpoint": _endpoint(plant, eq, d.endpoint if d is not None else None),
                "points": len(eq.tags),
                "online": status,
                "status_source": (
                    "not networked" if not eq.networked
                    else "interconnection test" if d is not None
                    else "connector status" if status is not None
                    else "unknown"
                ),
            }
        )  # fmt: skip
    return rows


def _address(eq: Equipment, path: str, tag: Tag) -> str:
    row = registry().get(eq.protocol.value)
    return row.address(eq, path, tag) if row is not None else "-"


def data_points(plant: Plant) -> list[dict[str, Any]]:
    """Every tag: equipment, name, description, unit, type, sample rate, source address."""
    return [
        {
            "asset_id": eq.id,
            "tag": t.name,
            "description": t.description,
            "unit": t.unit,
            "data_type": t.data_type.value,
            "rate_hz": t.rate_hz,
            "address": _address(eq, path, t),
        }
        for path, *_r, eq in plant.walk()
        for t in eq.tags
    ]

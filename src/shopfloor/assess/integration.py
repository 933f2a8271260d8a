"""The system integration table (系统集成表): who exchanges which messages, with live counts.

Platform rows are counted in this assessment: device connections from the interconnection test
(samples per protocol), machine events onto the UNS and into the KPI engine from the current
window, orders from the current window into scheduling. Rows the platform cannot observe (ERP,
PLM, SCM, WMS... declared in the settings' ``systems``) carry the count and source given there,
or no count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from shopfloor.assess.options import System
from shopfloor.assess.periods import PeriodResult
from shopfloor.assess.probe import ProbeReport


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    messages: str
    interface: str
    count: int | None
    count_source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "messages": self.messages,
            "interface": self.interface,
            "count": self.count,
            "count_source": self.count_source,
        }


INTERFACES = {
    "opcua": "OPC UA (subscription, read, methods)",
    "modbus": "Modbus TCP (holding registers via gateway)",
    "sparkplug": "MQTT 3.1.1 / Sparkplug B 3.0",
}


def flows(
    current: PeriodResult,
    probe: ProbeReport | None,
    mes_applied: int | None,
    systems: tuple[System, ...],
) -> list[Flow]:
    out: list[Flow] = []
    if probe is not None:
        per: Counter[str] = Counter()
        for d in probe.devices:
            per[d.protocol] += d.samples
        for proto, n in sorted(per.items()):
            out.append(
                Flow(f"devices ({proto})", "connectors", "tag values (samples)",
                     INTERFACES.get(proto, proto), n,
                     f"interconnection test, {probe.observe_s:g} s")
            )  # fmt: skip
    window = f"current window ({current.source})"
    out.append(
        Flow("devices / PLC", "UNS (bus)", "machine events: " + ", ".join(sorted(
             current.event_kinds)), "UNS topics, MachineEvent JSON v1", current.events, window)
    )  # fmt: skip
    out.append(
        Flow("UNS (bus)", "KPI engine", "machine events -> ISO 22400 time elements, quantities",
             "in-process subscription", current.events - current.rejected, window)
    )  # fmt: skip
    out.append(
        Flow("UNS (bus)", "MES", "state changes, parts, alarms, downtime", "UNS subscription",
             mes_applied, "MES applied events" if mes_applied is not None else "MES not run")
    )  # fmt: skip
    out.append(
        Flow("MES", "scheduling", "released orders -> job-shop problem", "shopfloor.schedule",
             len(current.report.order_info), window)
    )  # fmt: skip
    for s in systems:
        for ex in s.exchanges:
            out.append(
                Flow(s.name or s.id, ex.to, ex.messages, ex.interface or s.kind, ex.count,
                     ex.source or "declared in the settings (not measured)")
            )  # fmt: skip
    return out

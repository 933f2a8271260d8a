"""Auto-evidence from the plant model and live connector status.

Definitions (the rubric's ``platform_metrics``; all inferred, none is a standard's formula):

* **key equipment**: equipment with ``key: true`` in the plant file;
* **key processes**: the distinct operations of the plant's routings (same operation id and
  same eligible equipment count once);
* ``key_equipment_cnc_rate`` = key equipment with ``cnc: true`` / key equipment;
* ``process_automation_rate`` = key processes whose eligible equipment is all ``automated`` /
  key processes;
* ``device_networking_rate`` = networked key equipment / key equipment, where networked means
  ``connectivity`` native or gateway and, when live status is known, online;
* ``data_collection_coverage`` = key processes whose eligible equipment is all networked with
  at least one tag (and online when live status is known) / key processes;
* ``predictive_maintenance_coverage`` = key equipment with a live model / key equipment (a model
  is live when its latest version in the model registry has an intact file);
* ``erp_mes_coverage`` = business processes carried by ERP, MES or the platform / business
  processes (settings: ``business_processes``).

Live status is a mapping equipment path -> online (True/False); equipment it does not name
counts as unknown, and then only the plant model decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shopfloor.assess.metric import Metric, ratio_metric
from shopfloor.assess.options import BusinessProcess
from shopfloor.maintenance.registry import MODEL_FILE, Registry, file_sha256
from shopfloor.plant.model import Equipment, Plant

Online = Mapping[str, bool]
MODEL_BASIS = "plant model"
LIVE_BASIS = "plant model + live connector status"


def _key(plant: Plant) -> list[tuple[str, Equipment]]:
    return [(p, e) for p, *_r, e in plant.walk() if e.key]


def _networked(path: str, eq: Equipment, online: Online | None) -> bool:
    if not eq.networked:
        return False
    return True if online is None or path not in online else online[path]


def key_processes(plant: Plant) -> list[tuple[str, tuple[str, ...]]]:
    """(operation id, eligible equipment paths) of every distinct routing operation."""
    seen: dict[tuple[str, tuple[str, ...]], None] = {}
    for r in plant.routings:
        for op in r.operations:
            seen[(op.id, tuple(plant.resolve(x) for x in op.eligible))] = None
    return list(seen)


def equipment_metrics(plant: Plant, online: Online | None, as_of: str) -> dict[str, Metric]:
    """The equipment and process metrics, as of ``as_of`` (the live status's time)."""
    key = _key(plant)
    window = {"as_of": as_of}
    basis = MODEL_BASIS if online is None else LIVE_BASIS
    rows = [
        {
            "equipment": p,
            "cnc": e.cnc,
            "automated": e.automated,
            "connectivity": e.connectivity.value,
            "online": None if online is None else online.get(p),
            "networked": _networked(p, e, online),
        }
        for p, e in key
    ]
    out = {
        "key_equipment_cnc_rate": ratio_metric(
            "key_equipment_cnc_rate",
            sum(1 for _p, e in key if e.cnc),
            len(key),
            formula="key equipment with cnc: true / key equipment",
            basis=MODEL_BASIS,
            records=rows,
            window=window,
        ),
        "device_networking_rate": ratio_metric(
            "device_networking_rate",
            sum(1 for r in rows if r["networked"]),
            len(key),
            formula="networked key equipment (native or gateway, online when known) / key "
            "equipment",
            basis=basis,
            records=rows,
            window=window,
        ),
    }
    procs = key_processes(plant)
    proc_rows = []
    for op, eligible in procs:
        eqs = [(p, plant.equipment_by_path[p]) for p in eligible]
        proc_rows.append(
            {
                "operation": op,
                "eligible": list(eligible),
                "automated": all(e.automated for _p, e in eqs),
                "collected": all(_networked(p, e, online) and bool(e.tags) for p, e in eqs),
            }
        )
    out["process_automation_rate"] = ratio_metric(
        "process_automation_rate",
        sum(1 for r in proc_rows if r["automated"]),
        len(procs),
        formula="key processes whose eligible equipment is all automated / key processes",
        basis=MODEL_BASIS,
        records=proc_rows,
        window=window,
    )
    out["data_collection_coverage"] = ratio_metric(
        "data_collection_coverage",
        sum(1 for r in proc_rows if r["collected"]),
        len(procs),
        formula="key processes whose eligible equipment is all networked with tags / key processes",
        basis=basis,
        records=proc_rows,
        window=window,
    )
    return out


def live_models(
    registry_root: Path | None, bindings: Mapping[str, str], plant: Plant
) -> dict[str, dict[str, Any]]:
    """Equipment path -> its live model (name, version, kind); a model is bound to equipment
    by ``bindings`` (equipment id or path -> model name) or by carrying the equipment's id."""
    if registry_root is None or not Path(registry_root).is_dir():
        return {}
    reg = Registry(Path(registry_root))
    out: dict[str, dict[str, Any]] = {}
    wanted = {plant.resolve(k): v for k, v in bindings.items() if _known(plant, k)}
    for path, eq in plant.equipment_by_path.items():
        name = wanted.get(path, eq.id)
        if name not in reg.names():
            continue
        m = reg.manifest(name)
        model_file = reg.root / name / str(m.version) / MODEL_FILE
        if model_file.is_file() and file_sha256(model_file) == m.sha256:
            out[path] = {"model": name, "version": m.version, "kind": m.kind}
    return out


def quality_models(registry_root: Path | None) -> list[dict[str, Any]]:
    """The defect-risk models (kind ``quality``, ``shopfloor pdm quality-train``) of the
    registry whose latest version has an intact file: name, version and its out-of-fold metrics
    on the training seeds."""
    if registry_root is None or not Path(registry_root).is_dir():
        return []
    reg = Registry(Path(registry_root))
    out = []
    for name in reg.names():
        m = reg.manifest(name)
        model_file = reg.root / name / str(m.version) / MODEL_FILE
        if m.kind == "quality" and model_file.is_file() and file_sha256(model_file) == m.sha256:
            keep = ("oof_roc_auc", "oof_roc_auc_within_operation", "oof_pr_auc", "oof_f1")
            metrics = {k: v for k, v in m.metrics.items() if k in keep}
            out.append({"model": name, "version": m.version, "metrics": metrics})
    return out


def _known(plant: Plant, ref: str) -> bool:
    try:
        plant.resolve(ref)
    except KeyError:
        return False
    return True


def pdm_metric(plant: Plant, models: Mapping[str, Mapping[str, Any]]) -> Metric:
    key = _key(plant)
    rows = [{"equipment": p, "model": dict(models[p]) if p in models else None} for p, _e in key]
    return ratio_metric(
        "predictive_maintenance_coverage",
        sum(1 for r in rows if r["model"] is not None),
        len(key),
        formula="key equipment with a live model in the model registry / key equipment",
        basis="plant model + model registry",
        records=rows,
    )


def erp_mes_metric(processes: tuple[BusinessProcess, ...], mes_events: int | None) -> Metric:
    rows = [
        {
            "process": p.id,
            "system": p.system,
            "proof": (
                f"{mes_events} events applied by MES in the current window"
                if p.system == "mes" and mes_events
                else "declared in the settings"
            ),
        }
        for p in processes
    ]
    return ratio_metric(
        "erp_mes_coverage",
        sum(1 for p in processes if p.system in {"mes", "erp", "platform"}),
        len(processes),
        formula="business processes carried by ERP, MES or the platform / business processes",
        basis="settings (business_processes) + MES events",
        records=rows,
    )


def online_from_status(snapshot: Mapping[str, Any]) -> dict[str, bool]:
    """Equipment path -> online, from a :class:`~shopfloor.connect.status.ConnectorStatus`
    snapshot (a device online on any connector is online)."""
    out: dict[str, bool] = {}
    for conn in snapshot.get("connectors", {}).values():
        for device, state in conn.get("devices", {}).items():
            if state.get("online") is not None:
                out[device] = out.get(device, False) or bool(state["online"])
    return out

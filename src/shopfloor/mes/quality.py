"""Quality: specifications, inspection results, control charts with rule alarms, capability.

Specifications live in MES, one per (product, characteristic): nominal, lower and upper
specification limits, unit. They are loaded from a YAML file (``schema:
shopfloor.mes.quality/v1``, see ``examples/demo-quality.yaml``) or set one by one. Measurements
come with ``part_complete`` events (``measurements``) or are entered by hand; each is judged
against its specification, and one outside it raises a non-conformance record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopfloor.errors import BadInput, NotFound, ValidationFailed
from shopfloor.mes.context import MesContext
from shopfloor.mes.lifecycle import MesNotFound
from shopfloor.mes.models import Inspection, QualitySpec, Unit
from shopfloor.mes.ncr import open_ncr
from shopfloor.plant.loader import format_loc

QUALITY_SCHEMA = "shopfloor.mes.quality/v1"


class SpecRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str
    characteristic: str
    nominal: float | None = None
    lsl: float | None = None
    usl: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _limits(self) -> SpecRow:
        if self.lsl is None and self.usl is None:
            raise ValueError("needs lsl, usl or both")
        if self.lsl is not None and self.usl is not None and not self.usl > self.lsl:
            raise ValueError(f"usl ({self.usl}) must be above lsl ({self.lsl})")
        for name, limit, ok in (
            ("lsl", self.lsl, lambda n, x: n >= x),
            ("usl", self.usl, lambda n, x: n <= x),
        ):
            if self.nominal is not None and limit is not None and not ok(self.nominal, limit):
                raise ValueError(f"nominal ({self.nominal}) is outside {name} ({limit})")
        return self


class SpecFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str = QUALITY_SCHEMA
    specs: tuple[SpecRow, ...]


def parse_specs(doc: Any, products: set[str], source: str = "<specs>") -> list[SpecRow]:
    what = f"quality spec file {source}"
    if not isinstance(doc, dict):
        raise ValidationFailed(what, [("", "must be a YAML mapping")])
    doc = dict(doc)
    errs: list[tuple[str, str]] = []
    if doc.get("schema") != QUALITY_SCHEMA:
        errs.append(("schema", f"must be {QUALITY_SCHEMA!r}, got {doc.get('schema')!r}"))
    doc["schema_"] = doc.pop("schema", QUALITY_SCHEMA)
    try:
        parsed = SpecFile.model_validate(doc)
    except ValidationError as exc:
        errs += [
            (format_loc(tuple(e["loc"])), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors()
        ]
        raise ValidationFailed(what, errs) from None
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(parsed.specs):
        if row.product not in products:
            errs.append((f"specs[{i}].product", f"unknown product {row.product!r}"))
        key = (row.product, row.characteristic)
        if key in seen:
            errs.append((f"specs[{i}]", f"{row.product}/{row.characteristic} is given twice"))
        seen.add(key)
    if errs:
        raise ValidationFailed(what, errs)
    return list(parsed.specs)


def in_spec(spec: QualitySpec | None, value: float) -> bool | None:
    if spec is None:
        return None
    return (spec.lsl is None or value >= spec.lsl) and (spec.usl is None or value <= spec.usl)


def record_measurements(
    s: Session,
    product: str,
    measurements: dict[str, Any],
    serial: str | None,
    equipment: str | None,
    seq: int | None,
    now: int,
    who: str = "machine",
) -> list[Inspection]:
    """Store measured values, judge them, and raise an NCR for each one out of specification."""
    out = []
    for name, raw in measurements.items():
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise BadInput(f"measurements.{name}: must be a number, got {raw!r}")
        value = float(raw)
        spec = s.get(QualitySpec, (product, name))
        ok = in_spec(spec, value)
        row = Inspection(
            serial=serial,
            product=product,
            characteristic=name,
            value=value,
            in_spec=ok,
            equipment=equipment,
            seq=seq,
            ts_ns=now,
        )
        s.add(row)
        out.append(row)
        if ok is False and spec is not None:
            side = "above usl" if spec.usl is not None and value > spec.usl else "below lsl"
            limit = spec.usl if side == "above usl" else spec.lsl
            open_ncr(
                s,
                now,
                f"{name} {value:g} {spec.unit} is {side} {limit:g}".replace("  ", " "),
                serial=serial,
                product=product,
                characteristic=name,
                who=who,
            )
    return out


class Quality:
    """Specifications and inspection results (each call is one transaction)."""

    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def load_specs(self, path: str | Path) -> list[QualitySpec]:
        """Load (insert or replace) the specifications of a YAML file."""
        p = Path(path)
        if not p.exists():
            raise NotFound(f"quality spec file {p} does not exist")
        try:
            doc = yaml.safe_load(p.read_text("utf-8"))
        except yaml.YAMLError as exc:
            raise BadInput(f"quality spec file {p} is not valid YAML: {exc}") from None
        rows = parse_specs(doc, set(self.ctx.plant.product_by_id), str(p))
        with self.ctx.db.tx() as s:
            return [self._put(s, r) for r in rows]

    def set_spec(
        self,
        product: str,
        characteristic: str,
        *,
        nominal: float | None = None,
        lsl: float | None = None,
        usl: float | None = None,
        unit: str = "",
    ) -> QualitySpec:
        self.ctx.product(product)
        try:
            row = SpecRow(
                product=product,
                characteristic=characteristic,
                nominal=nominal,
                lsl=lsl,
                usl=usl,
                unit=unit,
            )
        except ValidationError as exc:
            raise BadInput(
                f"spec {product}/{characteristic}: "
                f"{exc.errors()[0]['msg'].removeprefix('Value error, ')}"
            ) from None
        with self.ctx.db.tx() as s:
            return self._put(s, row)

    @staticmethod
    def _put(s: Session, r: SpecRow) -> QualitySpec:
        spec = s.get(QualitySpec, (r.product, r.characteristic))
        if spec is None:
            spec = QualitySpec(product=r.product, characteristic=r.characteristic)
            s.add(spec)
        spec.nominal, spec.lsl, spec.usl, spec.unit = r.nominal, r.lsl, r.usl, r.unit
        return spec

    def specs(self, product: str | None = None) -> list[QualitySpec]:
        q = select(QualitySpec)
        if product is not None:
            q = q.where(QualitySpec.product == product)
        with self.ctx.db.tx() as s:
            return list(s.scalars(q.order_by(QualitySpec.product, QualitySpec.characteristic)))

    def spec(self, product: str, characteristic: str) -> QualitySpec:
        with self.ctx.db.tx() as s:
            spec = s.get(QualitySpec, (product, characteristic))
            if spec is None:
                raise MesNotFound(f"spec: no quality spec for {product}/{characteristic}")
            return spec

    def record(
        self,
        serial: str,
        characteristic: str,
        value: float,
        *,
        equipment: str | None = None,
        who: str = "",
    ) -> Inspection:
        """An inspection result entered by hand for a known unit."""
        path = self.ctx.path(equipment) if equipment else None
        with self.ctx.db.tx() as s:
            unit = s.get(Unit, serial)
            if unit is None:
                raise MesNotFound(f"serial: no unit {serial!r}")
            return record_measurements(
                s,
                unit.product,
                {characteristic: value},
                serial,
                path,
                None,
                self.ctx.now(),
                who or "operator",
            )[0]

    def results(self, product: str, characteristic: str, *, last: int = 500) -> list[Inspection]:
        """The latest ``last`` results of a characteristic, oldest first."""
        q = (
            select(Inspection)
            .where(Inspection.product == product, Inspection.characteristic == characteristic)
            .order_by(Inspection.ts_ns.desc(), Inspection.id.desc())
            .limit(last)
        )
        with self.ctx.db.tx() as s:
            return list(reversed(list(s.scalars(q))))

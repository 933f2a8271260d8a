"""Control charts over inspection results, with rule violations raised as alarms.

:meth:`SpcWatch.evaluate` builds the chart of one characteristic of one product from its latest
results (I-MR, X-bar/R or p over consecutive subgroups; u over units for all characteristics),
finds the Western Electric / Nelson violations on the main chart and points beyond the limits of
the range chart, computes capability against the specification, and raises one alarm per new
violation (code ``spc.<rule>``, source ``spc``) at the equipment that measured the last point.
An SPC alarm is an event: it is raised and cleared at once, and waits for acknowledgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from shopfloor.errors import BadInput
from shopfloor.mes.alarms import clear, raise_alarm
from shopfloor.mes.context import MesContext
from shopfloor.mes.models import Alarm, Inspection, QualitySpec
from shopfloor.mes.nelson import NELSON, RULES, Violation, check
from shopfloor.mes.spc import Chart, capability, d2, i_mr, p_chart, u_chart, xbar_r

CHARTS = ("imr", "xbar_r", "p", "u")


class TooFewResults(BadInput):
    """Not yet enough inspection results for a chart (a normal state, not a bad request)."""

    code = "spc.too_few"


SPC_PRIORITY = 400
NO_EQUIPMENT = "spc"


class SpcWatch:
    def __init__(self, ctx: MesContext) -> None:
        self.ctx = ctx

    def evaluate(
        self,
        product: str,
        characteristic: str | None,
        *,
        chart: str = "imr",
        subgroup: int = 5,
        last: int = 125,
        rules: Sequence[str] = NELSON,
        alarms: bool = True,
    ) -> dict[str, Any]:
        """Chart, violations, capability and the alarms raised, as one JSON-ready dict."""
        if chart not in CHARTS:
            raise BadInput(f"chart: {chart!r} is not one of {', '.join(CHARTS)}")
        bad = [r for r in rules if r not in RULES]
        if bad:
            raise BadInput(f"rules: unknown rule {bad[0]!r}; known: {', '.join(RULES)}")
        if chart != "u" and not characteristic:
            raise BadInput(f"characteristic: the {chart} chart is about one characteristic")
        self.ctx.product(product)
        q = select(Inspection).where(Inspection.product == product)
        if chart != "u":
            q = q.where(Inspection.characteristic == characteristic)
        limit = last * (subgroup if chart != "imr" else 1)
        with self.ctx.db.tx() as s:
            rows = list(
                reversed(
                    list(
                        s.scalars(
                            q.order_by(Inspection.ts_ns.desc(), Inspection.id.desc()).limit(limit)
                        )
                    )
                )
            )
            spec = s.get(QualitySpec, (product, characteristic)) if characteristic else None
        if len(rows) < 2:
            raise TooFewResults(
                f"{product}/{characteristic or '*'}: {len(rows)} result(s); a chart "
                "needs at least 2",
                results=len(rows),
                needed=2,
            )
        charts, anchors, sigma_within = self._charts(chart, rows, subgroup)
        main = charts[0]
        found = [("main", v) for v in check(main.zscores(), rules)]
        for extra in charts[1:]:
            found += [(extra.kind, Violation("N1", (i,))) for i in extra.out_of_limits()]
        out: dict[str, Any] = {
            "product": product,
            "characteristic": characteristic,
            "chart": chart,
            "charts": [c.to_dict() for c in charts],
            "violations": [
                v.to_dict()
                | {
                    "chart": main.kind if k == "main" else k,
                    "serials": [anchors[p].serial for p in v.points],
                }
                for k, v in found
            ],
            "capability": None,
            "alarms": [],
        }
        if spec is not None and chart in ("imr", "xbar_r"):
            values = [r.value for r in rows[: len(anchors) * (1 if chart == "imr" else subgroup)]]
            out["capability"] = capability(
                values, spec.lsl, spec.usl, sigma_within=sigma_within
            ).to_dict()
        if alarms:
            out["alarms"] = self._raise(product, characteristic, chart, found, anchors)
        return out

    @staticmethod
    def _charts(
        chart: str, rows: list[Inspection], n: int
    ) -> tuple[list[Chart], list[Inspection], float | None]:
        if chart == "imr":
            i, mr = i_mr([r.value for r in rows])
            return [i, mr], rows, None
        if chart == "u":
            serials: dict[str, list[Inspection]] = {}
            for r in rows:
                serials.setdefault(r.serial or f"#{r.id}", []).append(r)
            units = list(serials.values())
            groups = [units[k : k + n] for k in range(0, len(units) - n + 1, n)]
            if not groups:
                raise BadInput(f"subgroup: {len(units)} units; the u chart needs {n} per point")
            defects = [sum(1 for u in g for r in u if r.in_spec is False) for g in groups]
            return [u_chart(defects, [n] * len(groups))], [g[-1][-1] for g in groups], None
        groups_r = [rows[k : k + n] for k in range(0, len(rows) - n + 1, n)]
        if len(groups_r) < 2:
            raise BadInput(f"subgroup: {len(rows)} results make fewer than 2 subgroups of {n}")
        anchors = [g[-1] for g in groups_r]
        if chart == "p":
            bad = [sum(1 for r in g if r.in_spec is False) for g in groups_r]
            return [p_chart(bad, [n] * len(groups_r))], anchors, None
        xbar, rng = xbar_r([[x.value for x in g] for g in groups_r])
        return [xbar, rng], anchors, rng.center / d2(n)

    def _raise(
        self,
        product: str,
        characteristic: str | None,
        chart: str,
        found: list[tuple[str, Violation]],
        anchors: list[Inspection],
    ) -> list[dict[str, Any]]:
        raised = []
        now = self.ctx.now()
        with self.ctx.db.tx() as s:
            for where, v in found:
                first = anchors[v.points[0]]
                ref = f"{product}/{characteristic or '*'}/{chart}/{where}/{v.rule}/{first.id}"
                if s.scalar(select(Alarm.id).where(Alarm.ref == ref).limit(1)) is not None:
                    continue
                equipment = anchors[v.points[-1]].equipment or NO_EQUIPMENT
                code = f"spc.{v.rule}"
                text = (
                    f"{product}/{characteristic or 'all'} {chart}: {v.name} "
                    f"(points {v.points[0]}..{v.points[-1]})"
                )
                a = raise_alarm(
                    s, equipment, code, text, SPC_PRIORITY, "spc", now, ref=ref, new=True
                )
                clear(s, a, now)
                raised.append({"id": a.id, "code": code, "equipment": equipment, "text": text})
        return raised

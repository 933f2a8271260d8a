"""The tag-to-event rules at work: a sink that turns a real machine's tags into machine events.

:class:`RuleSink` sits between the connectors and ingest's sink. Every sample batch passes
through unchanged; the samples of tags that an equipment's ``rules:`` read (see
:mod:`shopfloor.plant.rules`) also drive one :class:`EquipmentRules` per equipment, and the
:class:`~shopfloor.events.MachineEvent` s they produce are delivered right after the batch, so MES
and the KPIs read a plain device exactly as they read a machine that emits its own events:

* ``state_change`` when the mapped state changes (``state``, ``previous``, ``reason``), and a
  ``downtime`` event when an unplanned stop ends (``reason``, ``category`` ``minor_stop`` below
  the short-stop threshold, else ``stop``, ``start_ns``, ``end_ns``);
* ``failure`` on entering one of the rule's ``failure_states`` (PackML Aborting, Aborted,
  Clearing by default) and ``repair`` (``duration_s``) on leaving them, for MTBF and MTTR;
  the stop's ``downtime`` event then has the category ``failure``. With a short-stop threshold
  the failure is told when it is over (stamped when it began) and only if it lasted at least
  the threshold: a shorter one is a minor stop;
* ``part_complete`` per part (``good``, ``product``, ``operation``, ``standard_time_s`` and
  ``counted: true``: counted parts have no serial);
* ``alarm`` when a bit of an alarm word rises or falls, or an alarm-number tag changes (the
  number before returns to normal, the new one is raised) (``code``, ``text``, ``priority``,
  ``active``);
* ``energy`` with the cumulative ``kwh`` (and ``kw``) of the equipment since its first reading
  (the first reading gives ``kwh: 0``, the baseline the KPIs count from), at most one per
  ``every_s`` and one at each state change.

Only good samples count; a bad one (device offline) leaves the state where it was. The first
reading of a counter is its baseline: what a counter did while shopfloor was not watching is not
claimed as production. A counter that goes down without a declared rollover near its maximum is
a reset: counted in :attr:`EquipmentRules.stats` and not as parts.

Counters that arrive in one batch are reconciled together (``total`` and ``reject`` of a PackML
machine change in the same publish). A reject counted after its part was already emitted as good
is a ``part_complete`` with ``good: false`` and ``reclassified: true``: one of the parts already
produced turns from good into a reject (produced stays, good - 1, scrap + 1), so produced, good
and defective always equal the counters' increments.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from shopfloor.connect.rules_store import RuleCheckpoint, fingerprint
from shopfloor.connect.sink import SampleBatch, SampleSink
from shopfloor.events import EventKind, MachineEvent
from shopfloor.plant.model import Equipment, Plant
from shopfloor.plant.rules import AlarmCode, CounterRule, value_key
from shopfloor.plant.states import TIME_ELEMENT, PackMLState, TimeElement
from shopfloor.samples import Quality

log = logging.getLogger(__name__)

__all__ = ["EquipmentRules", "PlantRules", "RuleSink", "standard_time"]

#: States whose end closes an unplanned stop (reported as a downtime event).
_STOPS = frozenset(s for s, e in TIME_ELEMENT.items() if e is TimeElement.ADET)


def standard_time(plant: Plant, path: str, product: str | None) -> tuple[str | None, float | None]:
    """``(operation id, standard time s)`` of the operation ``path`` runs for ``product`` (any
    product when None or unknown): the first eligible operation in routing order."""
    eq = plant.equipment_by_path[path]
    products = [plant.product_by_id[product]] if product in plant.product_by_id else []
    products += [p for p in plant.products if p.id != product]
    for p in products:
        routing = plant.routing_by_id.get(p.routing)
        for op in routing.operations if routing is not None else ():
            if eq.id in op.eligible or path in op.eligible:
                return op.id, op.standard_time_s
    return None, None


class _Counter:
    """Increments of one counter, in parts: rollover and resets handled."""

    def __init__(self, rule: CounterRule) -> None:
        self.rule = rule
        self.last: float | None = None
        self.parts = 0.0
        self.resets = 0

    def update(self, value: float) -> None:
        last, self.last = self.last, value
        if last is None:
            return
        delta = value - last
        if delta < 0:
            top = self.rule.rollover
            if top is not None and last > top / 2 and value < top / 2:
                delta = top - last + value + 1
            else:
                self.resets += 1
                return
        self.parts += delta * self.rule.scale

    def snapshot(self) -> dict[str, Any]:
        return {"last": self.last, "parts": self.parts, "resets": self.resets}

    def restore(self, doc: dict[str, Any]) -> None:
        last = doc.get("last")
        self.last = None if last is None else float(last)
        self.parts, self.resets = float(doc.get("parts", 0.0)), int(doc.get("resets", 0))


#: What :meth:`EquipmentRules.snapshot` keeps besides the counters (attribute names).
_KEPT = (
    "values", "state_since", "_stop_reason", "_stop_since", "_stop_failed", "_failed_at",
    "_failure_mode", "_failure_told", "product", "order", "_changed_at", "emitted_good",
    "emitted_bad", "alarm_bits", "alarm_codes", "kwh", "_kwh_last", "_energy_at",
    "_energy_state_changed",
)  # fmt: skip


class EquipmentRules:
    """One equipment's rules applied to its samples, in time order (see the module doc)."""

    def __init__(self, plant: Plant, path: str, eq: Equipment) -> None:
        assert eq.rules is not None
        self.plant, self.path, self.rules = plant, path, eq.rules
        self.tag_ids = {f"{path}/{name}" for _w, name, _k in self.rules.tag_refs()}
        self.values: dict[str, Any] = {}
        self.state: PackMLState | None = None
        self.state_since: int | None = None
        self._stop_reason: str | None = None  # why the current stop began
        self._stop_since: int | None = None  # when the current stop began
        self._stop_failed = False  # the current stop went through a failure state
        self._failed_at: int | None = None  # when the machine entered a failure state
        self._failure_mode = "fault"
        self._failure_told = False  # its failure event was sent
        self.product: str | None = None
        self.order: str | None = None
        #: (product, order) before the last change of either, and when it changed: a part
        #: counted at that same instant was made under the previous ones.
        self._before: tuple[str | None, str | None] = (None, None)
        self._changed_at: int | None = None
        self.stats: Counter[str] = Counter()
        c = self.rules.counts
        self.counters: dict[str, _Counter] = {}
        if c is not None:
            for name in ("total", "good", "reject", "infeed"):
                rule = getattr(c, name)
                if rule is not None:
                    self.counters[name] = _Counter(rule)
        self.emitted_good = 0
        self.emitted_bad = 0
        self.alarm_bits: dict[str, int] = {}
        self.alarm_codes: dict[str, str] = {}  # alarm-number tag -> the active number ("" none)
        self.kwh = 0.0
        self._kwh_last: float | None = None
        self._kw_last: tuple[int, float] | None = None
        self._energy_at: int | None = None  # when the last energy event was given
        self._energy_state_changed = False  # a state change since then

    # ---- checkpoint --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the rules remember, as JSON-able data (see :meth:`restore`)."""
        doc: dict[str, Any] = {k: getattr(self, k) for k in _KEPT}
        doc["state"] = self.state.value if self.state is not None else None
        doc["before"] = list(self._before)
        doc["kw_last"] = list(self._kw_last) if self._kw_last is not None else None
        doc["counters"] = {k: c.snapshot() for k, c in self.counters.items()}
        doc["stats"] = dict(self.stats)
        return doc

    def restore(self, doc: dict[str, Any]) -> None:
        """Resume from a :meth:`snapshot`: a counter's increments while shopfloor was away are
        counted (at its next reading), the state and an open stop go on."""
        for k in _KEPT:
            if k in doc:
                setattr(self, k, doc[k])
        self.values = dict(self.values)
        self.alarm_bits, self.alarm_codes = dict(self.alarm_bits), dict(self.alarm_codes)
        self.state = PackMLState(doc["state"]) if doc.get("state") is not None else None
        product, order = (doc.get("before") or [None, None])[:2]
        self._before = (product, order)
        kw = doc.get("kw_last")
        self._kw_last = (int(kw[0]), float(kw[1])) if kw else None
        for k, c in (doc.get("counters") or {}).items():
            if k in self.counters:
                self.counters[k].restore(c)
        self.stats = Counter(doc.get("stats") or {})

    # ---- driving -----------------------------------------------------------------------------

    def feed(self, samples: Sequence[tuple[str, int, Any]]) -> list[MachineEvent]:
        """Events for ``(tag name, ts_ns, value)`` good samples, sorted by time."""
        out: list[MachineEvent] = []
        counted_at: int | None = None  # counters changed at this instant, parts not yet given
        for name, ts, value in samples:
            if counted_at is not None and ts != counted_at:
                self._parts(counted_at, out)
                counted_at = None
            self.values[name] = value
            if self._apply(name, ts, value, out):
                counted_at = ts
        if counted_at is not None:  # counters of one instant are reconciled together
            self._parts(counted_at, out)
        return out

    def _apply(self, name: str, ts: int, value: Any, out: list[MachineEvent]) -> bool:
        """Apply one sample; True when a counter changed (its parts are given by the caller,
        once for all the counters of the instant)."""
        r = self.rules
        if r.product is not None and name == r.product.tag:
            key = value_key(value)
            product = r.product.map.get(key, key if key in self.plant.product_by_id else None)
            if product is None:
                self.stats["unknown_program"] += 1
            self._job(ts, product, self.order)
        if r.order is not None and name == r.order.tag:
            self._job(ts, self.product, str(value).strip() or None if value is not None else None)
        if r.state is not None:
            st = r.state
            if name == st.tag or any(s.tag == name for s in st.signals):
                self._state(ts, out)
        counted = False
        for kind, counter in self.counters.items():
            if name == counter.rule.tag:
                try:
                    counter.update(float(value))
                except (TypeError, ValueError):
                    self.stats["bad_counter_value"] += 1
                counted = counted or kind != "infeed"
        c = r.counts
        if c is not None and c.inspection is not None and name == c.inspection.tag:
            good = value_key(value) in c.inspection.good_values
            self._emit_parts(ts, 1 if good else 0, 0 if good else 1, out)
        if r.alarms is not None:
            for word in r.alarms.words:
                if word.tag == name:
                    self._alarms(word.tag, word.bits, ts, value, out)
            for code in r.alarms.codes:
                if code.tag == name:
                    self._alarm_code(code, ts, value, out)
        if r.energy is not None and name == r.energy.tag:
            self._energy(ts, value, out)
        return counted

    def _job(self, ts: int, product: str | None, order: str | None) -> None:
        if (product, order) == (self.product, self.order):
            return
        if self._changed_at != ts:  # several tags of one change arrive at the same instant
            self._before = (self.product, self.order)
            self._changed_at = ts
        self.product, self.order = product, order

    def _made_under(self, ts: int) -> tuple[str | None, str | None]:
        """Product and order of a part counted at ``ts``."""
        return self._before if ts == self._changed_at else (self.product, self.order)

    # ---- state -------------------------------------------------------------------------------

    def _state(self, ts: int, out: list[MachineEvent]) -> None:
        st = self.rules.state
        assert st is not None
        new: PackMLState | None
        if st.tag is not None:
            new = st.map.get(value_key(self.values.get(st.tag)), st.default)
            if new is None:
                self.stats["unmapped_state"] += 1
                return
        else:
            new = st.default
            for sig in st.signals:
                if sig.tag in self.values and bool(self.values[sig.tag]) == sig.when:
                    new = sig.state
                    break
        if new is None or new == self.state:
            return
        previous = self.state
        reason = self._reason()
        failed = st.failure_states
        if new in failed and previous is not None and previous not in failed:
            # (a machine first seen failed: when it failed is unknown, nothing is counted)
            self._failed_at, self._failure_mode = ts, reason or "fault"
            self._failure_told = st.short_stop_s == 0
            if self._failure_told:  # else told once it outlasts the short-stop threshold
                out.append(self._failure(ts))
        elif previous in failed and new not in failed and self._failed_at is not None:
            duration_s = (ts - self._failed_at) / 1e9
            if self._failure_told or duration_s >= st.short_stop_s:
                if not self._failure_told:
                    out.append(self._failure(self._failed_at))
                out.append(
                    self._event(
                        EventKind.REPAIR, ts, mode=self._failure_mode, duration_s=duration_s
                    )
                )
                self._stop_failed = True
            self._failed_at = None
        since = self._stop_since
        if previous in _STOPS and since is not None and new not in _STOPS:
            duration_s = (ts - since) / 1e9
            minor = duration_s < st.short_stop_s and not self._stop_failed
            category = "failure" if self._stop_failed else "minor_stop" if minor else "stop"
            out.append(
                self._event(
                    EventKind.DOWNTIME,
                    ts,
                    reason=self._stop_reason or ("minor_stop" if minor else "unplanned_stop"),
                    category=category,
                    planned=False,
                    start_ns=since,
                    end_ns=ts,
                )
            )
            self._stop_failed = False
        if new in _STOPS and previous not in _STOPS:  # a stop begins (through its states)
            self._stop_reason, self._stop_since, self._stop_failed = reason, ts, False
        payload: dict[str, Any] = {"state": new.value}
        if previous is not None:
            payload["previous"] = previous.value
        if reason is not None and new is not PackMLState.EXECUTE:
            payload["reason"] = reason
        out.append(self._event(EventKind.STATE_CHANGE, ts, **payload))
        self.state, self.state_since = new, ts
        self._energy_state_changed = True

    def _failure(self, ts: int) -> MachineEvent:
        return self._event(EventKind.FAILURE, ts, mode=self._failure_mode, cause="unknown")

    def _reason(self) -> str | None:
        st = self.rules.state
        if st is None or st.reason_tag is None or st.reason_tag not in self.values:
            return None
        code = value_key(self.values[st.reason_tag])
        if code in ("", "0"):
            return None
        return st.reasons.get(code, code)

    # ---- counts ------------------------------------------------------------------------------

    def _parts(self, ts: int, out: list[MachineEvent]) -> None:
        get = {k: c.parts for k, c in self.counters.items()}
        total, good, reject = get.get("total"), get.get("good"), get.get("reject")
        if total is not None and reject is not None:
            good, bad = total - reject, reject
        elif good is not None and reject is not None:
            bad = reject
        elif total is not None and good is not None:
            bad = total - good
        else:
            good, bad = (total if total is not None else good or 0.0), 0.0
        n_good = math.floor(max(good, 0.0) + 1e-9) - self.emitted_good
        n_bad = math.floor(max(bad, 0.0) + 1e-9) - self.emitted_bad
        moved = min(max(-n_good, 0), max(n_bad, 0))  # rejects of parts already emitted as good
        self._emit_parts(ts, max(n_good, 0), max(n_bad, 0) - moved, out, moved)

    def _emit_parts(
        self, ts: int, n_good: int, n_bad: int, out: list[MachineEvent], moved: int = 0
    ) -> None:
        if not n_good and not n_bad and not moved:
            return
        c = self.rules.counts
        assert c is not None
        product, order = self._made_under(ts)
        op, std = standard_time(self.plant, self.path, product)
        std = c.standard_time_s if c.standard_time_s is not None else std
        base: dict[str, object] = {
            "product": product,
            "operation": c.operation or op,
            "counted": True,
        }
        if std is not None:  # unknown: the part counts, effectiveness is undefined
            base["standard_time_s"] = std

        def part(**extra: Any) -> MachineEvent:
            payload = {**base, **extra}
            return MachineEvent(EventKind.PART_COMPLETE, self.path, ts, order_id=order,
                                payload=payload)  # fmt: skip

        for good, n in ((True, n_good), (False, n_bad)):
            out.extend(part(good=good) for _ in range(n))
        out.extend(part(good=False, reclassified=True) for _ in range(moved))
        self.emitted_good += n_good - moved
        self.emitted_bad += n_bad + moved

    # ---- alarms and energy -------------------------------------------------------------------

    def _alarms(
        self, tag: str, bits: dict[int, Any], ts: int, value: Any, out: list[MachineEvent]
    ) -> None:
        try:
            word = int(value)
        except (TypeError, ValueError):
            self.stats["bad_alarm_word"] += 1
            return
        before = self.alarm_bits.get(tag, 0)
        self.alarm_bits[tag] = word
        for bit, alarm in sorted(bits.items()):
            was, now = bool(before >> bit & 1), bool(word >> bit & 1)
            if was != now:
                out.append(
                    self._event(
                        EventKind.ALARM, ts, code=alarm.code, text=alarm.text,
                        priority=alarm.priority, active=now,
                    )
                )  # fmt: skip

    def _alarm_code(self, rule: AlarmCode, ts: int, value: Any, out: list[MachineEvent]) -> None:
        """The active alarm number changed: the one before returns to normal, the new one is
        raised."""
        now = value_key(value)
        now = "" if now in rule.none else now
        before = self.alarm_codes.get(rule.tag, "")
        if now == before:
            return
        self.alarm_codes[rule.tag] = now
        for code, active in ((before, False), (now, True)):
            if code:
                text = rule.texts.get(code, "")
                out.append(
                    self._event(
                        EventKind.ALARM, ts, code=code, text=text, priority=rule.priority,
                        active=active,
                    )
                )  # fmt: skip

    def _energy(self, ts: int, value: Any, out: list[MachineEvent]) -> None:
        rule = self.rules.energy
        assert rule is not None
        try:
            reading = float(value) * rule.scale
        except (TypeError, ValueError):
            self.stats["bad_energy_value"] += 1
            return
        payload: dict[str, Any] = {}
        if rule.kind == "kwh":
            last, self._kwh_last = self._kwh_last, reading
            if last is None:  # the baseline: energy is counted from here
                self._energy_at = ts
                out.append(self._event(EventKind.ENERGY, ts, kwh=self.kwh))
                return
            delta = reading - last
            if delta < 0:
                top = rule.rollover * rule.scale if rule.rollover is not None else None
                if top is None or last < top / 2:
                    self.stats["energy_resets"] += 1
                    return
                delta = top - last + reading
            self.kwh += delta
        else:
            prev, self._kw_last = self._kw_last, (ts, reading)
            if prev is not None and ts > prev[0]:
                self.kwh += prev[1] * (ts - prev[0]) / 3.6e12
            payload["kw"] = max(reading, 0.0)
        due = self._energy_at is None or ts - self._energy_at >= rule.every_s * 1e9
        if due or self._energy_state_changed:
            self._energy_at, self._energy_state_changed = ts, False
            out.append(self._event(EventKind.ENERGY, ts, kwh=self.kwh, **payload))

    def _event(self, kind: EventKind, ts: int, **payload: Any) -> MachineEvent:
        return MachineEvent(kind, self.path, ts, payload=payload)


class PlantRules:
    """The rules of every equipment of a plant that has them, fed tag values."""

    def __init__(self, plant: Plant) -> None:
        self.equipment: dict[str, EquipmentRules] = {
            path: EquipmentRules(plant, path, eq)
            for path, *_r, eq in plant.walk()
            if eq.rules is not None
        }
        self.fingerprints = {
            path: fingerprint(path, plant.equipment_by_path[path]) for path in self.equipment
        }
        self._of_tag = {t: er for er in self.equipment.values() for t in er.tag_ids}
        #: Equipment whose rules the last :meth:`events` call fed.
        self.touched: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.equipment)

    def reads(self, tag: str) -> bool:
        """Whether some equipment's rules read ``tag`` (a tag id)."""
        return tag in self._of_tag

    def events(self, rows: Iterable[tuple[str, int, Any]]) -> list[MachineEvent]:
        """The events good ``(tag id, ts_ns, value)`` rows give (each equipment's in time
        order); rows of tags no rule reads are left out."""
        per: dict[str, list[tuple[int, str, Any]]] = {}
        for tag, ts, value in rows:
            er = self._of_tag.get(tag)
            if er is not None:
                per.setdefault(er.path, []).append((ts, tag.rsplit("/", 1)[1], value))
        out: list[MachineEvent] = []
        for path, got in per.items():
            got.sort(key=lambda r: r[0])
            out.extend(self.equipment[path].feed([(n, t, v) for t, n, v in got]))
        self.touched = set(per)
        return out


class RuleSink:
    """Passes every batch to ``inner`` and adds the events the equipment's rules produce; with
    a ``checkpoint`` the rules resume from it and it is kept up to date (see
    :mod:`shopfloor.connect.rules_store`)."""

    def __init__(
        self, plant: Plant, inner: SampleSink, checkpoint: RuleCheckpoint | None = None
    ) -> None:
        self.inner = inner
        self.rules = PlantRules(plant)
        self.checkpoint = checkpoint
        self._saved: dict[str, str] = {}  # equipment -> the snapshot JSON last written
        self._writing = asyncio.Lock()
        #: Equipment resumed from the checkpoint, and rows left (rules changed since).
        self.resumed: list[str] = []
        self.discarded: list[str] = []
        if checkpoint is not None and self.rules:
            self._resume(checkpoint)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def _resume(self, checkpoint: RuleCheckpoint) -> None:
        for path, (fp, doc) in checkpoint.load().items():
            er = self.rules.equipment.get(path)
            if er is None or fp != self.rules.fingerprints[path]:
                self.discarded.append(path)
                continue
            er.restore(doc)
            self._saved[path] = json.dumps(er.snapshot(), sort_keys=True)
            self.resumed.append(path)
        if self.discarded:
            log.warning(
                "rules of %s changed since their checkpoint: they start afresh",
                ", ".join(sorted(self.discarded)),
            )

    async def on_samples(self, batch: SampleBatch) -> None:
        await self.inner.on_samples(batch)
        events = self.events_of(batch)
        if events:
            await self.inner.on_events(events)
        if self.checkpoint is not None and self.rules.touched:
            rows = self._changed(batch)  # now: the next delivery may come during the write
            if rows:
                async with self._writing:  # in delivery order
                    await asyncio.to_thread(self.checkpoint.save, rows)

    def _changed(self, batch: SampleBatch) -> list[tuple[str, str, int, str]]:
        """Checkpoint rows of the equipment the last delivery changed."""
        ts = int(batch.ts_ns.max()) if len(batch) else 0
        rows = []
        for path in sorted(self.rules.touched):
            doc = json.dumps(self.rules.equipment[path].snapshot(), sort_keys=True)
            if self._saved.get(path) != doc:
                rows.append((path, self.rules.fingerprints[path], ts, doc))
                self._saved[path] = doc
        return rows

    async def on_events(self, events: Sequence[MachineEvent]) -> None:
        await self.inner.on_events(events)

    def events_of(self, batch: SampleBatch) -> list[MachineEvent]:
        """The events the rule tags of ``batch`` produce (each equipment's in time order)."""
        self.rules.touched = set()
        if not any(self.rules.reads(t) for t in batch.tags):
            return []
        return self.rules.events(self._good_rows(batch))

    def _good_rows(self, batch: SampleBatch) -> Iterator[tuple[str, int, Any]]:
        for row in range(len(batch)):
            tag = batch.tags[int(batch.tag_index[row])]
            if not self.rules.reads(tag) or int(batch.quality[row]) != int(Quality.GOOD):
                continue
            text = batch.text[row] if batch.text is not None else None
            number = float(batch.values[row])
            value: Any = number
            if text is not None:  # a string (NaN value) or a boolean (1.0 / 0.0 with its text)
                value = text if math.isnan(number) else text == "true"
            elif math.isnan(number):
                continue
            yield tag, int(batch.ts_ns[row]), value

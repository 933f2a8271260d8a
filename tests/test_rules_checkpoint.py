"""The tag-to-event rules resume from their checkpoint after a restart (also after kill -9)."""

from __future__ import annotations

from pathlib import Path

from shopfloor.connect.rules import RuleSink
from shopfloor.connect.rules_store import RuleCheckpoint
from shopfloor.connect.sink import SampleBatch
from shopfloor.events import EventKind, MachineEvent
from shopfloor.samples import Quality, Sample
from tests.test_connect_rules import PLANT, S, _plant

P = "works/pack/line-1/c/press-01"

#: A press script: runs, strokes, a long fault with an alarm, back to work, more strokes.
SCRIPT = [
    (0, f"{P}/running", True), (0, f"{P}/strokes", 100), (0, f"{P}/kwh", 10.0),
    (5 * S, f"{P}/strokes", 103), (5 * S, f"{P}/kwh", 10.5),
    (60 * S, f"{P}/faulted", True), (60 * S, f"{P}/alarms", 0b1),
    (200 * S, f"{P}/faulted", False), (200 * S, f"{P}/alarms", 0),
    (210 * S, f"{P}/strokes", 110), (210 * S, f"{P}/kwh", 12.0),
    (300 * S, f"{P}/strokes", 120), (300 * S, f"{P}/kwh", 13.0),
]  # fmt: skip


class _Inner:
    def __init__(self) -> None:
        self.events: list[MachineEvent] = []

    async def on_samples(self, batch: SampleBatch) -> None:
        return None

    async def on_events(self, events: list[MachineEvent]) -> None:
        self.events.extend(events)


async def _feed(sink: RuleSink, rows: list[tuple[int, str, object]]) -> None:
    for ts, tag, value in rows:
        await sink.on_samples(SampleBatch.from_samples([Sample(tag, ts, value, Quality.GOOD)]))


def _seen(events: list[MachineEvent]) -> list[tuple[str, int, object]]:
    return [(e.kind.value, e.ts_ns, sorted(e.payload.items())) for e in events]


async def test_a_restart_in_the_middle_of_a_stop_gives_the_events_of_one_run(
    tmp_path: Path,
) -> None:
    plant = _plant()
    whole = _Inner()
    await _feed(RuleSink(plant, whole), SCRIPT)
    first, second = _Inner(), _Inner()
    sink = RuleSink(plant, first, RuleCheckpoint(tmp_path / "rules.sqlite"))
    await _feed(sink, SCRIPT[:7])  # the fault began; the process dies (nothing closed)
    again = RuleSink(plant, second, RuleCheckpoint(tmp_path / "rules.sqlite"))
    assert again.resumed == [P]
    await _feed(again, SCRIPT[7:])
    assert _seen(first.events + second.events) == _seen(whole.events)
    (down,) = [e for e in second.events if e.kind is EventKind.DOWNTIME]
    assert (down.payload["start_ns"], down.payload["end_ns"]) == (60 * S, 200 * S)
    assert [e.kind for e in second.events].count(EventKind.REPAIR) == 1


async def test_what_a_counter_did_while_shopfloor_was_down_is_counted(tmp_path: Path) -> None:
    plant = _plant()
    first, second = _Inner(), _Inner()
    await _feed(RuleSink(plant, first, RuleCheckpoint(tmp_path / "r.sqlite")), SCRIPT[:5])
    # down from 5 s to 250 s: the 7 strokes of 210 s are not seen, the reading at 300 s is
    resumed = RuleSink(plant, second, RuleCheckpoint(tmp_path / "r.sqlite"))
    await _feed(resumed, [r for r in SCRIPT if r[0] >= 250 * S])
    parts = [e for e in first.events + second.events if e.kind is EventKind.PART_COMPLETE]
    assert len(parts) == (120 - 100) * 2  # scale 2: every stroke since the first reading
    kwh = [e.payload["kwh"] for e in second.events if e.kind is EventKind.ENERGY]
    assert kwh[-1] == 3.0  # 13.0 - 10.0 kWh since the first reading


async def test_changed_rules_start_afresh_and_say_so(tmp_path: Path) -> None:
    await _feed(RuleSink(_plant(), _Inner(), RuleCheckpoint(tmp_path / "r.sqlite")), SCRIPT[:5])
    changed = _plant(PLANT.replace("scale: 2,", "scale: 1,"))
    after = _Inner()
    sink = RuleSink(changed, after, RuleCheckpoint(tmp_path / "r.sqlite"))
    assert (sink.resumed, sink.discarded) == ([], [P])
    await _feed(sink, [r for r in SCRIPT if r[0] >= 250 * S])
    # a fresh start: the first reading is the baseline again, nothing counted from it
    assert not [e for e in after.events if e.kind is EventKind.PART_COMPLETE]

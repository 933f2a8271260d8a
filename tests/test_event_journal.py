"""The machine-event journal: what a delivery wrote survives the process being killed (-9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from shopfloor.api.events import EventJournal, EventLog
from shopfloor.events import EventKind, MachineEvent

WRITER = """
import sys, time
from pathlib import Path
from shopfloor.api.events import EventJournal, EventLog
from shopfloor.events import EventKind, MachineEvent
log = EventLog(journal=EventJournal(Path(sys.argv[1])))
for i in range(50):
    log.extend([MachineEvent(EventKind.PART_COMPLETE, "a/b/c/d/m", i, payload={"good": True,
                "standard_time_s": 1.0}, seq=i)])
print("written", flush=True)
time.sleep(600)
"""


def test_events_survive_kill_9_and_load_at_start(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE) as p:
        try:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == b"written"
        finally:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=60)
    journal = EventJournal(path)
    log = EventLog(journal=journal)
    assert [ev.seq for ev in log.until(None)] == list(range(50))
    assert log.first_ns == 0 and log.received == 0
    journal.close()


def test_the_log_starts_with_the_newest_events_it_can_hold(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / "e.sqlite")
    journal.append(
        [MachineEvent(EventKind.STATE_CHANGE, "m", i, payload={"state": "Execute"}, seq=i)
         for i in range(10)]
    )  # fmt: skip
    log = EventLog(maxlen=4, journal=journal)
    assert [ev.seq for ev in log.until(None)] == [6, 7, 8, 9]
    assert journal.count() == 10
    journal.close()

"""The assessment inside a running server: stored answers and assessment runs, for the API.

:class:`AssessmentService` keeps, under its folder:

* ``answers.json`` — the answers document the web page edits (the same document as an
  answers file; evidence by URL or document id only), with who saved it and when;
* ``runs/<id>/`` — each finished assessment run: the four outputs (``assessment.json``,
  ``report.html``, ``report.pdf``, ``evidence.xlsx``) and ``run.json`` (what was asked, by
  whom, the result in brief). A run's folder appears whole or not at all.

A run is asked with :class:`RunSpec`: ``simulated`` runs a baseline and a current period on
the plant's twin (every output then says ``synthetic: true``); ``recorded`` scores two windows
of the machine events this server received. With ``probe`` every device connection of the
server's endpoints is tested first (the interconnection test report, which then also gives
which equipment is online); otherwise connector status gives which equipment is online,
MES the number of machine events it applied, the live health service which equipment its
models score (checked against the model registry). Runs go one
at a time, in a child process watched by a worker thread (the PDF keeps a core busy for
seconds; in the server's process it would hold up its threads): :meth:`start` answers at once
and :meth:`run` tells ``running``, ``done`` or ``failed`` (with the error).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import re
import secrets
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from shopfloor.assess.answers import ANSWERS_SCHEMA, Answers, answers_from_mapping
from shopfloor.assess.api import AssessRequest, build_outputs
from shopfloor.assess.catalog import scenarios
from shopfloor.assess.i18n import check_lang
from shopfloor.assess.options import AssessOptions, load_options
from shopfloor.assess.probe import Target, probe_endpoints
from shopfloor.assess.rubric import Rubric, load_rubric
from shopfloor.assess.writer import write_outputs
from shopfloor.clock import Clock, WallClock, from_ns, to_ns
from shopfloor.errors import BadInput, NotFound, ShopfloorError
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant

log = logging.getLogger(__name__)

ANSWERS_FILE = "answers.json"
RUNS_DIR = "runs"
RUN_FILE = "run.json"
#: The files of a run, and their media types.
OUTPUT_TYPES = {
    "assessment.json": "application/json",
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
    "evidence.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_HOURS = 24.0
#: What a run id looks like (start time and a random suffix).
RUN_ID = re.compile(r"A\d{8}T\d{6}-[0-9a-f]{4}")


class AssessmentBusy(ShopfloorError):
    """An assessment run is already going (HTTP 409)."""

    code = "assess.busy"


@dataclass(frozen=True)
class RunSpec:
    mode: Literal["simulated", "recorded"] = "simulated"
    lang: str = "zh"
    #: Length of each simulated period (simulated mode).
    hours: float | None = None
    #: The two windows of recorded machine events (recorded mode).
    baseline: tuple[datetime, datetime] | None = None
    current: tuple[datetime, datetime] | None = None
    #: Test every device connection of the server's endpoints first (interconnection test).
    probe: bool = False

    def to_dict(self) -> dict[str, Any]:
        def window(w: tuple[datetime, datetime] | None) -> str | None:
            return None if w is None else f"{w[0].isoformat()}/{w[1].isoformat()}"

        return {
            "mode": self.mode,
            "lang": self.lang,
            "hours": self.hours,
            "baseline": window(self.baseline),
            "current": window(self.current),
            "probe": self.probe,
        }


@dataclass
class RunInfo:
    id: str
    status: Literal["running", "done", "failed"]
    created: str
    by: str
    spec: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    duration_s: float | None = None
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "created": self.created,
            "by": self.by,
            "spec": self.spec,
            "result": self.result,
            "error": self.error,
            "duration_s": self.duration_s,
            "files": list(self.files),
        }


def _child(
    conn: Connection, req: AssessRequest, targets: Sequence[Target], pki_dir: Path, clock: Clock
) -> None:
    """Run in the child process: test the device connections (when asked), build the outputs
    and send ``(kind, ...)`` back."""
    try:
        if targets:
            p = req.options.probe
            report = asyncio.run(
                probe_endpoints(req.plant, targets, p.observe_s, p.timeout_s, pki_dir, clock)
            )
            req = replace(req, probe=report)
        out = build_outputs(req)
        conn.send(("ok", out.assessment.doc, out.files))
    except ShopfloorError as exc:
        conn.send(("error", exc.message))
    except Exception as exc:  # reported to the parent, which logs it
        conn.send(("crash", "".join(traceback.format_exception(exc)).strip()))
    finally:
        conn.close()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AssessmentService:
    def __init__(
        self,
        plant: Plant,
        root: Path,
        *,
        options: AssessOptions | None = None,
        rubric: Rubric | None = None,
        events: Callable[[int | None], Sequence[MachineEvent]] | None = None,
        events_span: Callable[[], tuple[int, int, int] | None] | None = None,
        online: Callable[[], Mapping[str, bool]] | None = None,
        mes_applied: Callable[[], int] | None = None,
        models: Callable[[], Mapping[str, str]] | None = None,
        probe_targets: Callable[[], Sequence[Target]] | None = None,
        pki_dir: Path | None = None,
        device_clock: Callable[[], Clock] | None = None,
    ) -> None:
        self.plant = plant
        self.root = Path(root)
        self.options = options or load_options()
        self.rubric = rubric or load_rubric()
        self._events = events
        self._events_span = events_span
        self._online = online
        self._mes_applied = mes_applied
        self._models = models
        self._probe_targets = probe_targets
        self.pki_dir = pki_dir or self.root / "pki"
        #: The devices' time for the interconnection test (a virtual plant's), as a clock a
        #: child process can carry; default the wall clock.
        self._device_clock = device_clock
        self._lock = threading.Lock()
        self._running: RunInfo | None = None
        self._failed: dict[str, RunInfo] = {}
        self._thread: threading.Thread | None = None

    # -- answers -------------------------------------------------------------------------

    @property
    def answers_path(self) -> Path:
        return self.root / ANSWERS_FILE

    def answers_record(self) -> dict[str, Any]:
        """``{document, updated, by}``: the stored answers (an empty document before any)."""
        if not self.answers_path.is_file():
            empty = {"schema": ANSWERS_SCHEMA, "rubric_version": self.rubric.rubric_version,
                     "answers": {}, "scenarios": {}}  # fmt: skip
            return {"document": empty, "updated": None, "by": None}
        record: dict[str, Any] = json.loads(self.answers_path.read_text("utf-8"))
        return record

    def answers(self) -> Answers:
        doc = self.answers_record()["document"]
        return answers_from_mapping(doc, self.rubric, scenarios().numbers)

    def save_answers(
        self, doc: Mapping[str, Any], who: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate and store a whole answers document (every error with its path; nothing
        stored on error). Returns the record before and after."""
        answers_from_mapping(doc, self.rubric, scenarios().numbers)
        document = {"schema": ANSWERS_SCHEMA, "rubric_version": self.rubric.rubric_version,
                    **dict(doc)}  # fmt: skip
        with self._lock:
            before = self.answers_record()
            after = {"document": document, "updated": _now_iso(), "by": who}
            data = json.dumps(after, ensure_ascii=False, indent=2).encode()
            _atomic_write(self.answers_path, data)
        return before, after

    # -- runs ----------------------------------------------------------------------------

    def events_span(self) -> dict[str, Any] | None:
        """What the recorded mode can use: ``{first, last, count}`` of the received events."""
        span = self._events_span() if self._events_span is not None else None
        if span is None:
            return None
        first, last, count = span
        return {"first": from_ns(first).isoformat(), "last": from_ns(last).isoformat(),
                "count": count}  # fmt: skip

    def check_spec(self, spec: RunSpec) -> RunSpec:
        check_lang(spec.lang)
        if spec.probe and self._probe_targets is None:
            raise BadInput("probe: this server serves no device endpoints to test", field="probe")
        if spec.mode == "simulated":
            if spec.baseline is not None or spec.current is not None:
                raise BadInput("simulated runs take no windows: use mode 'recorded'", field="mode")
            if spec.hours is not None and not 0 < spec.hours <= MAX_HOURS:
                raise BadInput(f"hours must be in (0, {MAX_HOURS:g}], not {spec.hours!r}",
                               field="hours")  # fmt: skip
            return spec
        if spec.baseline is None or spec.current is None:
            raise BadInput("a recorded run needs both windows: baseline and current",
                           field="baseline" if spec.baseline is None else "current")  # fmt: skip
        if spec.hours is not None:
            raise BadInput("hours is for simulated runs only", field="hours")
        span = self._events_span() if self._events_span is not None else None
        if self._events is None or span is None:
            raise BadInput("this server has received no machine events: use mode 'simulated'",
                           field="mode")  # fmt: skip
        for name, (start, end) in (("baseline", spec.baseline), ("current", spec.current)):
            if end <= start:
                raise BadInput(f"{name}: the window ends before it starts", field=name)
            if to_ns(start) < span[0] or to_ns(end) > span[1] + 1:
                raise BadInput(
                    f"{name}: {start.isoformat()}/{end.isoformat()} is not inside the machine "
                    f"events this server holds ({from_ns(span[0]).isoformat()} to "
                    f"{from_ns(span[1]).isoformat()})",
                    field=name,
                )
        if spec.baseline[1] > spec.current[0]:
            raise BadInput("the baseline window must end before the current window starts",
                           field="baseline")  # fmt: skip
        return spec

    def start(self, spec: RunSpec, who: str) -> RunInfo:
        """Start a run in a worker thread; :class:`AssessmentBusy` while one goes."""
        spec = self.check_spec(spec)
        with self._lock:
            if self._running is not None:
                raise AssessmentBusy(
                    f"assessment run {self._running.id} is still going: wait for it to finish",
                    run=self._running.id,
                )
            stamp = datetime.now(UTC)
            info = RunInfo(
                id=f"A{stamp:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}",  # RUN_ID
                status="running",
                created=stamp.isoformat(timespec="seconds"),
                by=who,
                spec=spec.to_dict(),
            )
            self._running = info
            self._thread = threading.Thread(
                target=self._work, args=(info, spec), name=f"assess-{info.id}", daemon=True
            )
            self._thread.start()
        return info

    def _request(self, spec: RunSpec) -> AssessRequest:
        opts = self.options
        if self._models is not None:  # the models running live, bound to their equipment
            bound = {**self._models(), **opts.pdm_models}
            opts = opts.model_copy(update={"pdm_models": bound})
        if spec.mode == "simulated" and spec.hours is not None:
            sim = opts.simulate.model_copy(update={"hours": spec.hours})
            opts = opts.model_copy(update={"simulate": sim})
        events = None
        if spec.mode == "recorded" and self._events is not None and spec.current is not None:
            events = self._events(to_ns(spec.current[1]))
        return AssessRequest(
            plant=self.plant, rubric=self.rubric, options=opts, answers=self.answers(),
            lang=spec.lang, baseline=spec.baseline, current=spec.current, events=events,
            online=dict(self._online()) if self._online is not None else None,
            mes_applied=self._mes_applied() if self._mes_applied is not None else None,
        )  # fmt: skip

    def _work(self, info: RunInfo, spec: RunSpec) -> None:
        t0 = time.perf_counter()
        try:
            targets = list(self._probe_targets()) if spec.probe and self._probe_targets else []
            doc, files = self._build(self._request(spec), targets)
            done = replace(
                info,
                status="done",
                result={
                    "level": doc["level"],
                    "level_name": doc["level_name"],
                    "maturity_level": doc["maturity_level"],
                    "total_score": doc["maturity"]["total_score"],
                    "synthetic": doc["synthetic"],
                    "gates_passed": sum(1 for g in doc["gates"] if g.get("passed")),
                    "gates": len(doc["gates"]),
                },
                duration_s=round(time.perf_counter() - t0, 3),
                files=list(files),
            )
            meta = json.dumps(done.to_dict(), ensure_ascii=False, indent=2).encode()
            write_outputs(self._run_dir(info.id), {**files, RUN_FILE: meta})
        except Exception as exc:  # the run fails, the server goes on; the page shows why
            if isinstance(exc, ShopfloorError):
                error = exc.message
            else:
                log.exception("assessment run %s failed", info.id)
                error = f"internal error ({type(exc).__name__}); see the server log"
            failed = replace(
                info, status="failed", error=error, duration_s=round(time.perf_counter() - t0, 3)
            )
            with self._lock:
                self._failed[info.id] = failed
                self._running = None
            return
        with self._lock:  # "done" only once its folder is whole
            self._running = None

    def _build(
        self, req: AssessRequest, targets: Sequence[Target] = ()
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The document and the files, built in a child process: the report and its PDF keep
        a core busy for seconds, which in this process would hold up the server's threads."""
        clock = self._device_clock() if self._device_clock is not None else WallClock()
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        here, there = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child,
            args=(there, req, list(targets), self.pki_dir, clock),
            name="shopfloor-assess",
            daemon=True,
        )
        proc.start()  # a daemon: it ends with the server
        there.close()
        try:
            kind, *rest = here.recv()
        except EOFError:
            proc.join(5)
            raise ShopfloorError(
                f"the assessment process ended without a result (exit code {proc.exitcode})"
            ) from None
        finally:
            here.close()
            proc.join(30)
        if kind == "error":
            raise BadInput(rest[0])
        if kind == "crash":
            raise RuntimeError(rest[0])
        return rest[0], rest[1]

    def _run_dir(self, run_id: str) -> Path:
        return self.root / RUNS_DIR / run_id

    def running(self) -> RunInfo | None:
        with self._lock:
            return self._running

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the current run's thread (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _in_memory(self) -> dict[str, RunInfo]:
        """The run going and those that failed since start (not on disk)."""
        with self._lock:
            found = dict(self._failed)
            if self._running is not None:
                found[self._running.id] = self._running
        return found

    def _on_disk(self, run_id: str) -> RunInfo | None:
        meta = self._run_dir(run_id) / RUN_FILE
        if not meta.is_file():
            return None  # a folder a stopped server left half-written has no run.json
        try:
            return RunInfo(**json.loads(meta.read_text("utf-8")))
        except (ValueError, TypeError) as exc:
            log.warning("assessment: skipping run %s: unreadable %s (%s)", run_id, RUN_FILE, exc)
            return None

    def runs(self, limit: int = 50) -> list[RunInfo]:
        """Runs newest first: the one going, those that failed since start, those on disk."""
        found = self._in_memory()
        folder = self.root / RUNS_DIR
        if folder.is_dir():
            for d in folder.iterdir():
                if d.name not in found and (info := self._on_disk(d.name)) is not None:
                    found[d.name] = info
        return sorted(found.values(), key=lambda r: r.id, reverse=True)[:limit]

    def run(self, run_id: str) -> RunInfo:
        info = self._in_memory().get(run_id)
        if info is None and RUN_ID.fullmatch(run_id):  # never a path from outside
            info = self._on_disk(run_id)
        if info is None:
            raise NotFound(f"assessment run {run_id!r} does not exist", field="run", value=run_id)
        return info

    def file(self, run_id: str, name: str) -> Path:
        """A file of a finished run: one of :data:`OUTPUT_TYPES`."""
        if name not in OUTPUT_TYPES:
            raise NotFound(
                f"file {name!r}: a run has {', '.join(OUTPUT_TYPES)}", field="name", value=name
            )
        info = self.run(run_id)
        if info.status != "done":
            raise NotFound(f"assessment run {run_id} is {info.status}: it has no files",
                           field="run", value=run_id)  # fmt: skip
        return self._run_dir(run_id) / name

    def document(self, run_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.file(run_id, "assessment.json").read_text("utf-8"))
        return doc

"""``shopfloor bench kpi-live``: KPIs of the paced virtual plant, over real protocols, against
the simulator's truth, with ``shopfloor serve`` killed (``kill -9``) and restarted on the way.

Two processes, as on a plant: this one runs the paced virtual plant with its OPC UA server,
Modbus TCP gateway (its plain devices), Sparkplug B edge node and an MQTT broker, and keeps the
ground truth; ``shopfloor serve`` runs in a child process on the plant's clock (the
``plant_clock`` file), reads the devices at the endpoints given in its settings and knows
nothing of the simulation. The plant starts once serve listens (its clock, handed over before,
says when), so serve sees the whole run the truth covers. At ``--kill-at`` of the run the child
is killed with SIGKILL and started again on the same ``data_dir``.

Reported: every OEE component (and kWh per unit) per line and equipment from ``GET
/api/v1/kpi`` of the restarted service over the whole run, next to the truth, with the relative
errors and the worst per component; the events the service had journalled before the kill
(acknowledged: on disk before the API counts them) and how many of them are missing after the
restart; how long the service was away (wall and plant seconds). The Sparkplug B edge nodes
have serve's host application as their primary host: while it is offline they keep the events
and send them as historical when it is back (Sparkplug 3.0). The plain devices' counters resume
from the rules' checkpoint, so their counts are whole. What the OPC UA devices did while the
service was away is not seen by it (a subscription's events are not kept for a new session).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import typer

from shopfloor.auth.db import default_url as auth_url
from shopfloor.auth.principal import system
from shopfloor.auth.roles import Role
from shopfloor.auth.store import open_auth
from shopfloor.clock import NS_PER_S, LinearClock, from_ns
from shopfloor.config import load_settings
from shopfloor.errors import BadInput, ShopfloorError
from shopfloor.historian.pgtemp import free_port
from shopfloor.kpi.layout import Layout
from shopfloor.plant.loader import load_plant
from shopfloor.runtime.ingest import IngestConfig
from shopfloor.runtime.ingest_feeds import networked
from shopfloor.runtime.platform import EVENTS_FILE
from shopfloor.runtime.run_truth import truth_entries
from shopfloor.runtime.virtual import CLOCK_FILE, VirtualPlantSetup, build

#: The OEE components compared (and energy per unit, reported beside them).
COMPONENTS = ("oee", "availability", "effectiveness", "quality_ratio")
REPORTED = (*COMPONENTS, "kwh_per_unit")
#: Wall seconds ``serve`` has to answer after a (re)start.
START_TIMEOUT_S = 120.0
#: Wall seconds between starting serve and starting the plant (serve is listening by then).
LEAD_S = 30.0


def _iso(ns: int) -> str:
    return from_ns(ns).isoformat().replace("+00:00", "Z")


class _Serve:
    """``shopfloor serve`` as a child process, with its API token."""

    def __init__(self, env: dict[str, str], api: str, token: str, log: Path) -> None:
        self.env, self.api, self.token, self.log = env, api, token, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts: list[float] = []

    def start(self) -> None:
        out = self.log.open("ab")
        cmd = [sys.executable, "-c", "from shopfloor.cli import main; main()", "serve"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.starts.append(time.monotonic())

    def get(self, path: str, **params: str) -> dict[str, Any]:
        url = f"{self.api}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body

    async def ready(self) -> float:
        """Wall seconds from the last start until the API answers."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise ShopfloorError(f"serve exited with {self.proc.returncode}:\n{tail}")
            try:
                await asyncio.to_thread(self.get, "health")
                return time.monotonic() - self.starts[-1]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                await asyncio.sleep(0.2)
        raise ShopfloorError(f"serve did not answer within {START_TIMEOUT_S:g} s ({self.log})")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _journal(path: Path) -> dict[int, str]:
    """The journalled events ``{id: document}`` (read-only, beside the writing service)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {int(i): doc for i, doc in db.execute("SELECT id, doc FROM machine_event")}
    finally:
        db.close()


def _rel(got: Any, truth: Any) -> float | None:
    if got is None or truth is None:
        return None
    if truth == 0:
        return 0.0 if got == 0 else None
    return abs(float(got) - float(truth)) / abs(float(truth))


def compare(measured: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Per entry: measured, truth and relative error of each reported figure."""
    return {
        k: {
            "kpi": measured.get(k),
            "truth": truth.get(k),
            "rel_error": _rel(measured.get(k), truth.get(k)),
        }
        for k in REPORTED
    }


async def kpi_live_benchmark(
    plant_name: str = "demo",
    *,
    hours: float = 2.0,
    speed: float = 5.0,
    seed: int = 7,
    kill_at: float = 0.4,
    modbus_poll_s: float = 0.1,
    keep: Path | None = None,
    lead_s: float = LEAD_S,
) -> dict[str, Any]:
    plant = load_plant(plant_name)
    if keep is not None and keep.exists() and any(keep.iterdir()):
        raise BadInput(f"--keep {keep}: give a new or empty folder (a run's data starts afresh)")
    with TemporaryDirectory(prefix="shopfloor-kpi-live-") as tmp:
        root = keep or Path(tmp)
        plant_dir, serve_dir = root / "plant", root / "serve"
        setup = VirtualPlantSetup(
            plant=plant,
            seed=seed,
            speed=speed,
            pki_dir=plant_dir / "pki",
            mqtt_port=free_port(),
            sparkplug_primary_host=IngestConfig().group,  # serve's Sparkplug host id
        )
        vrt = build(setup)
        vp = vrt.plant
        vrt.runtime.services.remove(vp)  # servers first; the plant starts once serve listens
        await vrt.runtime.start()
        wall0 = time.monotonic()
        start_ns = vp.now_ns()  # (the start instant, as long as the plant has not started)
        end_ns = start_ns + round(hours * 3600 * NS_PER_S)
        # the plant's clock, handed to serve before the plant runs: it starts at t0
        t0 = time.time_ns() + round(lead_s * NS_PER_S)
        clock_file = plant_dir / CLOCK_FILE
        LinearClock(start_ns, t0, speed).write(clock_file)
        ends = vrt.endpoints()
        serve_env = load_settings(data_dir=serve_dir)
        with open_auth(auth_url(serve_env)) as auth:
            auth.users.add("bench", Role.VIEWER, by=system())
            token, _row = auth.tokens.create("bench", "kpi-live", by=system())
        port = free_port()
        env = {
            **os.environ,
            "SHOPFLOOR_PLANT": plant_name,
            "SHOPFLOOR_DATA_DIR": str(serve_dir),
            "SHOPFLOOR_PLANT_CLOCK": str(clock_file),
            "SHOPFLOOR_API_PORT": str(port),
            "SHOPFLOOR_MODBUS_POLL_S": str(modbus_poll_s),
            **({"SHOPFLOOR_OPCUA_URL": ends["opcua"]} if "opcua" in ends else {}),
            **({"SHOPFLOOR_MODBUS_URL": ends["modbus"]} if "modbus" in ends else {}),
            **({"SHOPFLOOR_BROKER_URL": ends["mqtt"]} if "mqtt" in ends else {}),
        }
        serve = _Serve(env, f"http://127.0.0.1:{port}", token, root / "serve.log")
        result: dict[str, Any] = {
            "plant": plant.name,
            "seed": seed,
            "speed": speed,
            "hours": hours,
            "modbus_poll_s": modbus_poll_s,
        }
        try:
            serve.start()
            first_ready = await serve.ready()
            if time.time_ns() > t0:
                raise ShopfloorError(
                    f"serve took {first_ready:.1f} s to answer, more than the lead of "
                    f"{lead_s:g} s; give a longer --lead-s"
                )
            await asyncio.sleep((t0 - time.time_ns()) / NS_PER_S)
            await vp.start()

            async def until(ns: int) -> None:
                while vp.now_ns() < ns:
                    await asyncio.sleep(min(1.0, max((ns - vp.now_ns()) / NS_PER_S / speed, 0.01)))

            await until(start_ns + round(kill_at * (end_ns - start_ns)))
            before = await asyncio.to_thread(_journal, serve_dir / EVENTS_FILE)
            killed_ns = vp.now_ns()
            serve.kill()
            serve.start()
            back_s = await serve.ready()
            back_ns = vp.now_ns()
            await until(end_ns)
            await vp.stop()  # the plant stops (its servers stay up): its truth is final
            truth = vp.truth()
            # what the devices said last reaches the service (Modbus polls, broker queue)
            await asyncio.sleep(max(3.0, 5 * modbus_poll_s))
            after = await asyncio.to_thread(_journal, serve_dir / EVENTS_FILE)
            lost = [i for i, doc in before.items() if after.get(i) != doc]
            window = {"start": _iso(truth.start_ns), "end": _iso(truth.end_ns)}
            lines = await asyncio.to_thread(serve.get, "kpi", scope="line", **window)
            equipment = await asyncio.to_thread(serve.get, "kpi", scope="equipment", **window)
        finally:
            serve.stop()
            await vp.stop()
            await vrt.runtime.stop()
        # what serve can be checked against: the equipment whose data it receives
        observed = {p for ps in networked(plant).values() for p in ps}
        want = truth_entries(truth, Layout.from_plant(plant), observed)
        table = {
            "lines": {
                p: compare(v["kpi"], want["lines"][p])
                | {"unobserved": want["lines"][p]["unobserved"]}
                for p, v in lines["items"].items()
                if p in want["lines"]
            },
            "equipment": {
                p: compare(v["kpi"], want["equipment"][p])
                for p, v in equipment["items"].items()
                if p in observed
            },
        }
        worst: dict[str, Any] = {}
        for scope, rows in table.items():
            worst[scope] = {}
            for k in REPORTED:
                errs = [(r[k]["rel_error"], p) for p, r in rows.items()]
                known = [(e, p) for e, p in errs if e is not None]
                e, p = max(known) if known else (None, None)
                worst[scope][k] = {"rel_error": e, "at": p}
        result.update(
            window=window,
            wall_s=round(time.monotonic() - wall0, 1),
            serve_first_start_s=round(first_ready, 2),
            kill={
                "at": _iso(killed_ns),
                "events_acknowledged_before": len(before),
                "events_lost": len(lost),
                "restart_wall_s": round(back_s, 2),
                "away_plant_s": round((back_ns - killed_ns) / NS_PER_S, 1),
            },
            events_journalled=len(after),
            kpi_events_served=lines["events"],
            worst=worst,
            target_within_1pct={
                k: all(
                    (w := worst[scope][k]["rel_error"]) is not None and w <= 0.01 for scope in worst
                )
                for k in COMPONENTS
            },
            **table,
        )
        return result


def register(app: typer.Typer) -> None:
    """Add ``kpi-live`` to ``shopfloor bench``."""

    @app.command("kpi-live")
    def kpi_live(
        plant: str = typer.Option("demo", "--plant", help="Example plant name or plant file."),
        hours: float = typer.Option(2.0, "--hours", min=0.01, help="Simulated hours."),
        speed: float = typer.Option(5.0, "--speed", min=0.1, help="Plant seconds per wall second."),
        seed: int = typer.Option(7, "--seed"),
        kill_at: float = typer.Option(
            0.4, "--kill-at", min=0.05, max=0.95, help="Fraction of the run at which serve dies."
        ),
        modbus_poll_s: float = typer.Option(0.1, "--modbus-poll-s", min=0.01),
        keep: Path | None = typer.Option(None, "--keep", help="Keep the data under this folder."),
        lead_s: float = typer.Option(
            LEAD_S, "--lead-s", min=1.0, help="Wall seconds serve has to start before the plant."
        ),
        as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON."),
    ) -> None:
        """OEE components of the served virtual plant vs truth, serve killed -9 on the way."""
        result = asyncio.run(
            kpi_live_benchmark(
                plant,
                hours=hours,
                speed=speed,
                seed=seed,
                kill_at=kill_at,
                modbus_poll_s=modbus_poll_s,
                keep=keep,
                lead_s=lead_s,
            )
        )
        typer.echo(json.dumps(result, indent=None if as_json else 2, default=str))

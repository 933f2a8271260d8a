"""Webhooks on order completion: signed, retried on 5xx, delivered once, to a loopback server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from shopfloor.clock import VirtualClock
from shopfloor.erp import read_b2mml, read_plant_source, run_import
from shopfloor.erp.notify import CompletionNotifier
from shopfloor.erp.refs import erp_delivery
from shopfloor.erp.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Hook,
    load_hooks,
    verify,
)
from shopfloor.errors import ConfigError, ValidationFailed
from shopfloor.mes import MesService, open_mes
from tests.test_erp_support import (
    SCHEMAS,
    Request,
    mes_template_fixture,
    mes_url_fixture,
    run_order,
    v0600_schedule,
)

__all__ = ["mes_template_fixture", "mes_url_fixture"]
SECRET = "s3cret-for-tests"


@dataclass
class Receiver:
    """A loopback HTTP server that answers with scripted statuses and keeps what it got."""

    statuses: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/erp/hook"


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                rec.got.append((dict(self.headers.items()), body))
                status = rec.statuses.pop(0) if rec.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture(name="mes")
def completed_order_fixture(mes_url: str) -> Iterator[MesService]:
    """MES with order PR-1 (imported from a V0600 schedule) completed: 2 good, 1 scrap."""
    clock = VirtualClock()
    doc = read_b2mml(v0600_schedule("SCH-1", [Request("PR-1", "HOUSING-A", 3)]), "s.xml", SCHEMAS)
    run_import(doc, read_plant_source("demo"), mes_url, clock=clock)
    with open_mes(mes_url, plant="demo", clock=clock) as mes:
        run_order(mes, clock, "PR-1", good=2, scrap_at_turn=1)
        assert mes.orders.get("PR-1").status == "complete"
        yield mes


def hook(url: str, **kw: object) -> Hook:
    return Hook.model_validate({"url": url, "secret": SECRET, "backoff_s": 0.01, **kw})


async def test_completion_is_signed_retried_on_500_and_delivered_once(
    mes: MesService, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    notifier = CompletionNotifier(mes, (hook(receiver.url, retries=3),), schema_dir=SCHEMAS)
    outcomes = await notifier.poll_once()
    assert outcomes == [
        {"order": "PR-1", "hook": f"json {receiver.url}", "status": "delivered", "attempts": 3}
    ]
    assert len(receiver.got) == 3
    deliveries = {h[DELIVERY_HEADER] for h, _b in receiver.got}
    assert len(deliveries) == 1  # one delivery id for every retry
    headers, body = receiver.got[-1]
    assert headers[EVENT_HEADER] == "order.completed"
    assert headers["Content-Type"] == "application/json"
    assert verify(SECRET.encode(), body, headers[SIGNATURE_HEADER])
    assert not verify(b"another secret", body, headers[SIGNATURE_HEADER])
    doc = json.loads(body)
    order = doc["order"]
    assert (doc["event"], doc["delivery"]) == ("order.completed", deliveries.pop())
    assert (order["order_id"], order["request_id"], order["schedule_id"]) == (
        "PR-1",
        "PR-1",
        "SCH-1",
    )
    assert (order["erp_product"], order["good"], order["scrap"]) == ("HOUSING-A", 2, 1)
    assert [s["op_id"] for s in order["segments"]] == ["turn", "mill", "wash", "measure"]
    assert await notifier.poll_once() == []
    assert len(receiver.got) == 3
    assert notifier.health().ok and notifier.health().metrics["delivered"] == 1


async def test_b2mml_hook_posts_valid_performance(mes: MesService, receiver: Receiver) -> None:
    notifier = CompletionNotifier(
        mes, (hook(receiver.url, format="b2mml-v0701"),), schema_dir=SCHEMAS
    )
    (outcome,) = await notifier.poll_once()
    assert outcome["status"] == "delivered"
    ((headers, body),) = receiver.got
    assert headers["Content-Type"] == "application/xml"
    assert verify(SECRET.encode(), body, headers[SIGNATURE_HEADER])
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "B2MML-OperationsPerformance.xsd")))
    tree = etree.fromstring(body)
    schema.assertValid(tree)
    ns = {"b": "http://www.mesa.org/xml/B2MML"}
    assert tree.xpath("//b:OperationsResponse/b:OperationsRequestID/text()", namespaces=ns) == [
        "PR-1"
    ]


async def test_a_refusal_is_not_retried_and_is_tried_again_next_poll(
    mes: MesService, receiver: Receiver
) -> None:
    receiver.statuses = [400]
    notifier = CompletionNotifier(mes, (hook(receiver.url),), schema_dir=SCHEMAS)
    (outcome,) = await notifier.poll_once()
    assert outcome["status"] == "failed" and "HTTP 400 (not retried)" in outcome["error"]
    assert len(receiver.got) == 1
    assert not notifier.health().ok
    with mes.ctx.db.engine.connect() as conn:
        row = conn.execute(select(erp_delivery)).one()
    assert (row.order_id, row.status, row.attempts) == ("PR-1", "failed", 1)
    (outcome,) = await notifier.poll_once()
    assert outcome["status"] == "delivered" and len(receiver.got) == 2


async def test_unreachable_hook_fails_after_its_retries(mes: MesService) -> None:
    dead = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{dead.server_address[1]}/"
    dead.server_close()  # nothing listens there any more
    notifier = CompletionNotifier(mes, (hook(url, retries=2),), schema_dir=SCHEMAS)
    (outcome,) = await notifier.poll_once()
    assert outcome["status"] == "failed" and "failed 3 times" in outcome["error"]


async def test_the_service_delivers_while_it_runs(mes: MesService, receiver: Receiver) -> None:
    notifier = CompletionNotifier(mes, (hook(receiver.url),), schema_dir=SCHEMAS, interval_s=0.05)
    await notifier.start()
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not receiver.got:
            assert asyncio.get_running_loop().time() < deadline, "no delivery within 20 s"
            await asyncio.sleep(0.02)
    finally:
        await notifier.stop()
    assert notifier.health().metrics["delivered"] == 1


def test_hooks_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hooks.yaml"
    path.write_text("hooks:\n  - url: https://erp.example/hook\n    secret_env: ERP_HOOK_SECRET\n")
    monkeypatch.delenv("ERP_HOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="ERP_HOOK_SECRET"):
        load_hooks(path)
    monkeypatch.setenv("ERP_HOOK_SECRET", "x")
    (h,) = load_hooks(path)
    assert (h.format, h.retries, h.secret_bytes()) == ("json", 4, b"x")
    path.write_text("hooks:\n  - url: ftp://erp/\n    secret: x\n    colour: red\n")
    with pytest.raises(ValidationFailed) as err:
        load_hooks(path)
    assert "hooks[0].url" in err.value.message and "hooks[0].colour" in err.value.message


def test_notify_command_delivers_pending_completions(
    mes: MesService, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shopfloor.cli import main

    hooks = tmp_path / "hooks.toml"
    hooks.write_text(f'[[hooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n')
    url = mes.ctx.db.engine.url.render_as_string()
    argv = [
        "erp",
        "notify",
        "--hooks",
        str(hooks),
        "--once",
        "--db",
        url,
        "--plant",
        "demo",
        "--schemas",
        str(SCHEMAS),
    ]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "delivered"
    assert main(argv) == 0 and capsys.readouterr().out == ""  # delivered once
    assert len(receiver.got) == 1

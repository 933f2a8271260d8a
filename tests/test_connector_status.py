"""Connector status: the registry, its Prometheus text exposition and the /metrics endpoint."""

from __future__ import annotations

import asyncio
import json
import re

from shopfloor.clock import NS_PER_S, VirtualClock
from shopfloor.connect.status import ConnectorStatus, ParkedPayload, render_prometheus
from shopfloor.connect.status_http import MetricsServer

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)$")
VALUE = re.compile(r"^(?:NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$")


def filled() -> tuple[ConnectorStatus, VirtualClock]:
    clock = VirtualClock()
    status = ConnectorStatus(clock, parked_max=2)
    sp = status.connector("sparkplug-host", "sparkplug")
    sp.set_online(True)
    dev = 't/a/l/c/"m1"\\x'  # a name that needs escaping in a label
    sp.set_device_online(dev, True)
    for i in range(20):
        clock.advance_s(0.5)
        sp.message(dev, samples=100, latency_ns=(i + 1) * 1_000_000)
    sp.count("rebirth_requests", 2)
    for i in range(3):
        sp.park(
            ParkedPayload(
                clock.now_ns(),
                "spBv1.0/t/DDATA/a-l/m1",
                "malformed",
                f"bad {i}",
                bytes([i]),
                offset=i,
                device=dev,
            )
        )
    sp.error("sink failed", device=dev)
    status.connector("uns", "mqtt")
    return status, clock


def test_snapshot_counts_rates_latency_and_parked() -> None:
    status, clock = filled()
    snap = status.snapshot()
    sp = snap["connectors"]["sparkplug-host"]
    dev = sp["devices"]['t/a/l/c/"m1"\\x']
    assert dev["messages"] == 20 and dev["samples"] == 2000 and dev["online"]
    assert dev["messages_per_s"] == 2.0 and dev["samples_per_s"] == 200.0  # last 10 s
    assert dev["latency_s"] == 0.02 and 0.005 < dev["latency_avg_s"] < 0.02
    assert dev["last_message_ns"] == clock.now_ns()
    assert dev["parked"] == 3 and dev["errors"] == 1 and dev["last_error"] == "sink failed"
    assert sp["parked_total"] == 3 and sp["parked_by_reason"] == {"malformed": 3}
    assert [p["detail"] for p in sp["parked"]] == ["bad 1", "bad 2"]  # the newest parked_max
    assert sp["parked"][1]["payload_b64"] == "Ag==" and sp["parked"][1]["offset"] == 2
    assert sp["counters"] == {"rebirth_requests": 2} and sp["errors"] == 1
    clock.advance_s(60)
    assert (
        status.snapshot()["connectors"]["sparkplug-host"]["devices"]['t/a/l/c/"m1"\\x'][
            "messages_per_s"
        ]
        == 0.0
    )
    json.dumps(snap)  # plain data


def test_prometheus_text_is_well_formed() -> None:
    status, clock = filled()
    text = render_prometheus(status.snapshot())
    assert text.endswith("\n")
    families: dict[str, str] = {}
    helped: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helped, line
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("gauge", "counter") and name in helped and name not in families
            families[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m is not None, f"not a sample line: {line!r}"
            assert m.group(1) in families, f"sample before its TYPE: {line!r}"
            assert VALUE.match(m.group(3)), line
            if families[m.group(1)] == "counter":
                assert m.group(1).endswith("_total")
    assert 'shopfloor_connector_online{connector="sparkplug-host",kind="sparkplug"} 1' in text
    assert 'shopfloor_connector_online{connector="uns",kind="mqtt"} 0' in text
    assert (
        'shopfloor_connector_device_samples_total{connector="sparkplug-host",'
        'device="t/a/l/c/\\"m1\\"\\\\x"} 2000'
    ) in text
    assert (
        'shopfloor_connector_parked_total{connector="sparkplug-host",reason="malformed"} 3' in text
    )
    assert (
        'shopfloor_connector_count_total{connector="sparkplug-host",counter="rebirth_requests"} 2'
    ) in text
    stamp = f"{clock.now_ns() / NS_PER_S!r}"
    assert "shopfloor_connector_device_last_message_timestamp_seconds{" in text and stamp in text


async def request(port: int, raw: bytes) -> tuple[str, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(h.split(": ", 1) for h in lines[1:])
    return lines[0], headers, body


async def test_metrics_endpoint_serves_prometheus_and_json() -> None:
    status, _clock = filled()
    server = MetricsServer(status)
    await server.start()
    try:
        get = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        line, headers, body = await request(server.port, get)
        assert line == "HTTP/1.1 200 OK"
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert int(headers["Content-Length"]) == len(body)
        assert body.decode() == render_prometheus(status.snapshot())
        line, headers, body = await request(server.port, b"GET /status HTTP/1.0\r\n\r\n")
        assert line == "HTTP/1.1 200 OK" and headers["Content-Type"] == "application/json"
        assert json.loads(body)["connectors"]["uns"]["kind"] == "mqtt"
        line, headers, body = await request(server.port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
        assert line == "HTTP/1.1 200 OK" and body == b"" and int(headers["Content-Length"]) > 0
        assert (await request(server.port, b"GET /nope HTTP/1.1\r\n\r\n"))[0].endswith(
            "404 Not Found"
        )
        assert "405" in (await request(server.port, b"POST /metrics HTTP/1.1\r\n\r\n"))[0]
        assert "400" in (await request(server.port, b"hello\r\n\r\n"))[0]
        assert server.health().ok and server.health().metrics["requests"] == 6
    finally:
        await server.stop()
    assert not server.health().ok

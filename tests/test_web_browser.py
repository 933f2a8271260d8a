"""The dashboard in headless Chromium (Playwright) against the demo platform on loopback.

One demo platform and one browser per module. The browser is Debian's Chromium
(``/usr/bin/chromium``), never a downloaded one. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from shopfloor.events import EventKind, MachineEvent
from shopfloor.web.catalogue import load
from shopfloor.web.harness import DemoPlatform, chromium, log_in

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
playwright = pytest.importorskip("playwright.sync_api")

LATHE = "suzhou/machining/line1/turning/lathe-01"
DEADLINE_MS = 30_000
RUN_DEADLINE_MS = 300_000
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"
PAGES = [
    "overview",
    f"line/{LATHE.rsplit('/', 2)[0]}",
    f"equipment/{LATHE}",
    "orders",
    "quality",
    "energy",
    "alarms",
    "schedules",
    "maintenance",
    "assessment",
]
TEXTS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("[hidden]") || el.tagName === "OPTION" && !el.selected) continue;
    const s = n.textContent.trim();
    if (s && el.getClientRects().length) out.push(s);
  }
  return out;
}"""


@pytest.fixture(scope="module", name="demo")
def demo_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPlatform]:
    with DemoPlatform(tmp_path_factory.mktemp("web-demo")) as demo:
        yield demo


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    with chromium(str(CHROMIUM)) as browser:
        yield browser


def _is_error(message: Any) -> bool:
    """A console error, except the browser's own note on the 401 of the session probe."""
    return bool(message.type == "error" and "status of 401" not in message.text)


@pytest.fixture(name="console")
def console_fixture() -> list[str]:
    """The page's errors; a test that provokes one on purpose takes it out."""
    return []


@pytest.fixture(name="page")
def page_fixture(browser: Any, demo: DemoPlatform, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # a tablet
    page = context.new_page()
    errors = console
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    log_in(page, demo)
    yield page
    context.close()
    assert errors == []


def _open(page: Any, route: str) -> None:
    page.goto(page.url.split("#")[0] + "#/" + route)
    page.wait_for_selector(f"[data-page={route.split('/')[0]}]")


def test_login_then_a_tile_follows_a_state_change_in_the_virtual_plant(
    page: Any, demo: DemoPlatform
) -> None:
    tile = f'[data-equipment="{LATHE}"]'
    before = page.eval_on_selector(tile, "e => getComputedStyle(e).backgroundColor")
    assert demo.rt.plant.command(LATHE, "hold", {}).ok
    page.wait_for_function(
        """([sel, before]) => {
          const e = document.querySelector(sel);
          return e.dataset.state === "Held" && getComputedStyle(e).backgroundColor !== before;
        }""",
        arg=[tile, before],
        timeout=DEADLINE_MS,
    )
    assert page.inner_text(f"{tile} .state") == load("en")["state.Held"]
    assert demo.rt.plant.command(LATHE, "unhold", {}).ok
    page.wait_for_function(
        "sel => document.querySelector(sel).dataset.state !== 'Held'",
        arg=tile,
        timeout=DEADLINE_MS,
    )


def test_an_acknowledged_alarm_shows_in_the_audit_log(page: Any, demo: DemoPlatform) -> None:
    mes = demo.ctx.mes
    assert mes is not None
    mes.apply(
        MachineEvent(
            EventKind.ALARM,
            LATHE,
            demo.ctx.clock.now_ns(),
            payload={"code": "E77", "active": True, "priority": 700, "text": "coolant low"},
            seq=1,
        )
    )
    _open(page, "alarms")
    row = page.locator("tr", has_text="E77")
    row.locator("button.ack").click()
    page.wait_for_selector(
        "[data-page=alarms] tr:has(.audit-action)", timeout=DEADLINE_MS, state="attached"
    )
    audit = page.locator("tr", has=page.locator(".audit-action")).first.inner_text()
    assert demo.credential.username in audit and load("en")["action.alarm.ack"] in audit
    (entry,) = demo.ctx.auth.audit.query(action="alarm.ack", limit=10)
    assert entry.actor == demo.credential.username


def test_a_maintenance_work_order_is_closed_from_the_maintenance_page(
    page: Any, demo: DemoPlatform
) -> None:
    mes = demo.ctx.mes
    assert mes is not None
    order, _created = mes.maintenance.open_predictive(
        LATHE,
        code="PDM-TEST",
        text="Failure predicted: remaining useful life 6.0 operating h < 24 h",
        evidence={"health": {"health_index": 0.3, "rul_h": 6.0, "anomaly_score": 0.8}},
    )
    _open(page, "maintenance")
    row = page.locator("tr", has_text=order.id)
    assert "6" in row.inner_text() and load("en")["maint.status_open"] in row.inner_text()
    row.locator("input.note-input").fill("spindle bearing replaced")
    row.locator("button.close-wo").click()
    page.wait_for_selector(
        f"[data-page=maintenance] tr:has-text('{order.id}') [data-wo-status=closed]",
        timeout=DEADLINE_MS,
    )
    done = mes.maintenance.get(order.id)
    assert done.status == "closed" and done.note == "spindle bearing replaced"
    (entry,) = demo.ctx.auth.audit.query(action="maintenance.close", limit=10)
    assert entry.actor == demo.credential.username and entry.target.endswith(order.id)


def test_a_schedule_is_proposed_and_applied_from_the_schedules_page(
    page: Any, demo: DemoPlatform
) -> None:
    mes = demo.ctx.mes
    assert mes is not None
    # the floor service releases orders as the demo starts; wait until some work is open
    page.wait_for_function(
        "() => fetch('/api/v1/orders?status=released&status=running&limit=1')"
        ".then(r => r.json()).then(b => b.items.length > 0)",
        timeout=DEADLINE_MS,
    )
    _open(page, "schedules")
    page.fill("[data-page=schedules] input[type=number]", "1")
    page.click("button.propose")
    page.wait_for_selector("[data-schedule][data-status=proposed] .gantt-row", timeout=DEADLINE_MS)
    schedule_id = page.get_attribute("[data-schedule]", "data-schedule")
    assert schedule_id is not None and mes.planning.get(schedule_id).status == "proposed"
    page.click("button.apply-schedule")
    page.wait_for_selector(
        f"[data-schedule='{schedule_id}'][data-status=applied]", timeout=DEADLINE_MS
    )
    assert mes.planning.get(schedule_id).applied_by == demo.credential.username


def test_equipment_page_shows_the_predictive_health(page: Any, demo: DemoPlatform) -> None:
    row = {
        "equipment": LATHE,
        "ts_ns": demo.ctx.clock.now_ns(),
        "health_index": 0.42,
        "anomaly_score": 0.87,
        "rul_h": 12.5,
        "top_features": [{"feature": "vib_fast", "share": 0.7}],
        "alarm": False,
        "work_order": None,
    }
    before = demo.ctx.maintenance
    demo.ctx.maintenance = lambda: ("scoring", {LATHE: row})
    try:
        _open(page, f"equipment/{LATHE}")
        page.wait_for_selector("[data-page=equipment] td:has-text('vib_fast')", timeout=DEADLINE_MS)
        text = page.inner_text("[data-page=equipment]")
        assert "42.0 %" in text and "12.5" in text and load("en")["maint.rul"] in text
    finally:
        demo.ctx.maintenance = before


def test_answers_are_saved_and_an_assessment_runs_from_the_assessment_page(
    page: Any, demo: DemoPlatform, console: list[str]
) -> None:
    svc = demo.ctx.assessment
    assert svc is not None
    _open(page, "assessment")
    page.click("details[data-subdomain=equipment] summary")
    row = page.locator("tr[data-requirement='equipment.L1.a']")
    row.locator("select").select_option("1")
    data = page.locator("tr[data-requirement='data.L1.a']")
    page.click("details[data-subdomain=data] summary")
    data.locator("select").select_option("0.8")
    data.locator("input.ref-input").fill("/etc/passwd")
    page.click("button.save-answers")
    page.wait_for_selector("tr[data-requirement='data.L1.a'].bad", timeout=DEADLINE_MS)
    assert "/etc/passwd" in page.inner_text("ul.errors")
    refused = [e for e in console if "status of 422" in e]
    assert len(refused) == 1  # the browser logs the refused save; nothing else failed
    console.remove(refused[0])
    assert svc.answers_record()["updated"] is None, "a refused document stores nothing"
    data.locator("input.ref-input").fill("https://dms.example/data-rules, doc:DATA-1")
    page.click("button.save-answers")
    page.wait_for_selector("[data-page=assessment] p.ok", timeout=DEADLINE_MS)
    saved = svc.answers_record()
    assert saved["by"] == demo.credential.username
    assert saved["document"]["answers"]["equipment.L1.a"] == 1
    assert saved["document"]["answers"]["data.L1.a"]["evidence"] == [
        "https://dms.example/data-rules",
        "doc:DATA-1",
    ]

    page.select_option("select.run-mode", "recorded")
    page.fill("input.window-input >> nth=0", "yesterday")
    page.click("button.run-assessment")
    refusal = page.wait_for_selector("p.error[role=alert]", timeout=DEADLINE_MS)
    assert refusal is not None and "baseline" in refusal.inner_text()
    assert load("en")["assess.refused"] in refusal.inner_text()
    refused = [e for e in console if "status of 422" in e]
    assert len(refused) == 1
    console.remove(refused[0])

    page.select_option("select.run-mode", "simulated")
    page.fill("input.run-hours", "0.5")
    page.check("input.run-probe")  # the interconnection test of the demo's own endpoints
    page.click("button.run-assessment")
    page.wait_for_selector("p.running", timeout=DEADLINE_MS)
    # a run renders the PDF with CJK fonts while the demo plant runs: a generous deadline
    page.wait_for_selector(".result[data-run] .figures", timeout=RUN_DEADLINE_MS)
    run_id = page.get_attribute(".result[data-run]", "data-run")
    assert run_id is not None and svc.run(run_id).status == "done"
    text = page.inner_text(".result")
    assert load("en")["assess.synthetic"] in text  # simulated: said on the page
    assert page.locator(".result table.grid tbody tr").count() > 10  # gates, gaps, metrics
    doc = svc.document(run_id)
    probe = doc["interconnection_test"]
    networked = [e for e in doc["networking_list"] if e["protocol"] != "none"]
    assert probe["devices_tested"] == len(networked) and probe["passed"] > len(networked) // 2
    assert all(d["passed"] or d["errors"] for d in probe["devices"])  # a failure says why
    assert page.get_attribute(".result .probe", "data-passed") == str(probe["passed"])
    scored = {r["id"]: r["score"] for r in doc["requirements"]}
    assert scored["equipment.L1.a"] == 1.0 and scored["data.L1.a"] == 0.8
    href = page.get_attribute("a[data-file='report.pdf']", "href")
    assert href is not None
    pdf = page.request.get(demo.url + href)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")


def _english_leaks(texts: list[str]) -> list[str]:
    en, zh = load("en"), load("zh")
    exempt = re.compile(r"^[A-Za-z0-9 ./{}()%\-,:]*$")
    english = {v for k, v in en.items() if v != zh[k] and not exempt.fullmatch(v)}
    words = [v for v in english if " " in v and "{" not in v]
    fragments = [p.strip() for v in english if "{" in v for p in re.split(r"\{\w+\}", v)]
    fragments = [f for f in fragments if len(f) >= 6 and re.search(r"[A-Za-z]{3}", f)]
    leaks = [s for s in texts if s in english]
    leaks += [s for s in texts for w in words + fragments if w in s]
    return leaks


def test_in_chinese_no_catalogue_english_is_visible(page: Any) -> None:
    page.select_option("#lang", "zh")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    for route in PAGES:
        _open(page, route)
        page.wait_for_load_state("networkidle")
        texts = page.evaluate(TEXTS)
        assert any(re.search(r"[\u4e00-\u9fff]", s) for s in texts), route
        assert _english_leaks(texts) == [], route


def test_every_page_renders_a_non_blank_screenshot(page: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for route in PAGES:
        _open(page, route)
        page.wait_for_load_state("networkidle")
        shot = ARTIFACTS / f"{route.split('/')[0]}.png"
        page.screenshot(path=str(shot), full_page=True)
        pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
        assert pixels.std() > 10, f"{route}: blank screenshot (std {pixels.std():.1f})"


def test_the_overview_lists_a_foreign_sparkplug_device_the_plant_file_lacks(
    page: Any, demo: DemoPlatform
) -> None:
    """An edge node nobody declared births on the plant's Sparkplug group: its metric is
    stored and listed on the overview as a tag to add to the plant file."""
    import paho.mqtt.client as mqtt

    from shopfloor.connect.sparkplug.codec import DataType, Metric, Payload, encode_payload

    url = demo.rt.mqtt_url
    assert url is not None
    host, port = url.removeprefix("mqtt://").rsplit(":", 1)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="foreign-edge-9")
    client.connect(host, int(port))
    client.loop_start()
    now = demo.ctx.clock.now_ns() // 1_000_000
    node = Payload(timestamp=now, seq=0, metrics=[
        Metric(name="bdSeq", timestamp=now, datatype=DataType.UInt64, value=0)])  # fmt: skip
    device = Payload(timestamp=now, seq=1, metrics=[
        Metric(name="temp", timestamp=now, datatype=DataType.Double, value=22.5)])  # fmt: skip
    try:
        for topic, payload in (
            ("spBv1.0/suzhou/NBIRTH/edge-9", node),
            ("spBv1.0/suzhou/DBIRTH/edge-9/dev-1", device),
        ):
            client.publish(topic, encode_payload(payload), qos=1).wait_for_publish(10)
        tag = "suzhou/sparkplug/edge-9/edge/dev-1/temp"
        _open(page, "overview")
        deadline = page.evaluate("Date.now()") + DEADLINE_MS
        while not page.query_selector(f"code:text-is('{tag}')"):
            assert page.evaluate("Date.now()") < deadline, "the foreign tag never showed"
            page.reload()
            page.wait_for_selector("[data-page=overview] .board")
        row = page.inner_text(f"tr:has(code:text-is('{tag}'))")
        assert "22.5" in row
        assert load("en")["overview.undeclared.title"] in page.inner_text("[data-page=overview]")
    finally:
        client.loop_stop()
        client.disconnect()


def test_the_demo_publishes_its_plant_clock_for_the_commands_beside_it(demo: DemoPlatform) -> None:
    from shopfloor.plantclock import running_clock

    published = running_clock(demo.data_dir)
    assert published is not None and published[1] == "shopfloor demo"
    # the virtual plant's time, not the computer's: within a few plant seconds of the API's
    assert abs(published[0].now_ns() - demo.ctx.clock.now_ns()) < 5 * 10**9


def test_every_line_card_is_headed_by_its_line(page: Any, demo: DemoPlatform) -> None:
    _open(page, "overview")
    for path, line in demo.ctx.plant.lines():
        heading = page.inner_text(f'section[data-line="{path}"] h2')
        assert heading == line.name, (path, heading)


def test_the_demo_loads_its_own_quality_specs(demo: DemoPlatform) -> None:
    specs = {(s.product, s.characteristic) for s in demo.ctx.need_mes().quality.specs()}
    assert ("housing-a", "bore_diameter") in specs and len(specs) == 10


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_navigation_fits_one_row_at_1280_px(
    browser: Any, demo: DemoPlatform, lang: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        log_in(page, demo, lang)
        page.wait_for_selector("#nav a.here")
        tops = page.eval_on_selector_all(
            "#nav a", "as => as.map(a => a.getBoundingClientRect().top)"
        )
        assert len(set(tops)) == 1, tops  # one row
        widths = page.eval_on_selector("#nav", "n => [n.scrollWidth, n.clientWidth]")
        assert widths[0] <= widths[1] + 1, widths  # nothing hidden behind a scroll at this width
        bar = page.eval_on_selector(".bar", "b => b.getBoundingClientRect().height")
        assert bar < 70
    finally:
        context.close()


def test_chart_axes_keep_a_tolerance_precision_and_their_minus_signs(page: Any) -> None:
    """SPC axes were rounded to 2 decimals for a +-0.015 mm tolerance, and minus signs cut off."""
    labels = page.evaluate(
        """async () => {
          const m = await import("/ui/static/js/svg.js");
          const ticks = (svg) => [...svg.querySelectorAll("text.tick")].map((t) => t.textContent);
          const bore = m.lineChart({ series: [{ points: [[1, 51.992], [2, 52.006]] }],
            lines: [{ y: 51.985, label: "LSL" }, { y: 52.015, label: "USL" }], timeAxis: false });
          const drift = m.lineChart({ series: [{ points: [[1, -0.0125], [2, 0.004]] }],
            timeAxis: false });
          return { bore: ticks(bore), drift: ticks(drift) };
        }"""
    )
    bore = labels["bore"][:5]  # the five value ticks (then the x ticks and the limit labels)
    assert len(set(bore)) == 5 and all(len(x.split(".")[1]) >= 3 for x in bore), bore
    assert "LSL" in labels["bore"] and "USL" in labels["bore"]
    drift = labels["drift"][:5]
    assert drift[0].startswith("\u2212") and all("-" not in x for x in drift), drift


def test_a_timeline_has_a_time_axis_at_round_instants(page: Any) -> None:
    """The Gantt's axis had only its start and end."""
    got = page.evaluate(
        """async () => {
          const m = await import("/ui/static/js/svg.js");
          const t0 = Date.UTC(2025, 0, 6, 6, 7), t1 = t0 + 5.5 * 3600e3;
          const svg = m.timeline([{ start: t0, end: t1, cat: "o0", label: "JO-1" }], t0, t1);
          const ticks = m.timeTicks(t0, t1);
          return { n: ticks.length, steps: ticks.slice(1).map((t, i) => t - ticks[i]),
                   minutes: ticks.map((t) => new Date(t).getMinutes()),
                   labels: [...svg.querySelectorAll("text.tick")].map((x) => x.textContent) };
        }"""
    )
    assert 3 <= got["n"] <= 6 and set(got["steps"]) == {3600e3}  # hourly over 5.5 h
    assert set(got["minutes"]) == {0}  # on the hour, not at the 06:07 start
    assert len(got["labels"]) == got["n"] and all(":00" in x for x in got["labels"])


def test_in_chinese_the_plant_names_are_chinese(browser: Any, demo: DemoPlatform) -> None:
    """Halls, lines and machines stayed English in the Chinese UI; the plant file now carries
    their names by language."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        log_in(page, demo, "zh")
        text = page.inner_text("[data-page=overview]")
        for zh in ("苏州工厂", "泵壳机加工线", "机加工车间", "数控车床 1", "手工包装台"):
            assert zh in text, zh
        for en in ("CNC lathe 1", "Housing machining line", "Machining hall"):
            assert en not in text, en
        _open(page, f"equipment/{LATHE}")
        assert page.inner_text("[data-page=equipment] h1").startswith("数控车床 1")
        assert "数控车床" in page.inner_text("[data-page=equipment] .meta")  # the class, too
    finally:
        context.close()

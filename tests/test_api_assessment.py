"""The assessment routes over a real server: rubric, answers (validation, permissions, audit),
a run on recorded machine events with its evidence-pack files, runs one at a time, errors."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from shopfloor.assess.api import AssessRequest, assessment_document
from shopfloor.assess.options import load_options
from shopfloor.assess.periods import parse_interval
from shopfloor.assess.service import AssessmentService, RunSpec
from shopfloor.clock import DEFAULT_EPOCH
from shopfloor.errors import NotFound
from shopfloor.events import MachineEvent
from shopfloor.sim import Recorder, build_model
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    DEMO,
    Platform,
    assert_error,
    client_fixture,
    platform_fixture,
    server_fixture,
    templates_fixture,
)

pytestmark = pytest.mark.asyncio
HOURS = 4
#: Generous: a run renders a PDF with CJK fonts (seconds on a loaded CI machine).
RUN_DEADLINE_S = 600


def _events(hours: float) -> list[MachineEvent]:
    rec = Recorder(values=False)
    model = build_model(DEMO, 3, start=DEFAULT_EPOCH, outlet=rec, emit_values=False)
    model.run_until(hours * 3600.0)
    model.finish()
    return list(rec.events)


@pytest.fixture(name="service")
def service_fixture(platform: Platform, tmp_path: Path) -> Iterator[AssessmentService]:
    events = platform.ctx.events
    assert events is not None
    svc = AssessmentService(
        DEMO,
        tmp_path / "assessment",
        events=events.until,
        events_span=events.span,
        online=lambda: {},
        mes_applied=lambda: 0,
    )
    platform.ctx.assessment = svc
    yield svc
    svc.wait(RUN_DEADLINE_S)


def _window(a_h: float, b_h: float) -> str:
    a, b = DEFAULT_EPOCH + timedelta(hours=a_h), DEFAULT_EPOCH + timedelta(hours=b_h)
    return f"{a.isoformat()}/{b.isoformat()}"


async def test_answers_are_validated_stored_and_audited(
    client: httpx.AsyncClient, platform: Platform, service: AssessmentService
) -> None:
    viewer, operator = platform.bearer("viewer"), platform.bearer("operator")
    engineer = platform.bearer("engineer")
    r = await client.get(f"{API}/assessment/rubric", headers=viewer)
    assert r.status_code == 200
    rubric = r.json()
    assert rubric["requirements_total"] == len(rubric["requirements"]) > 50
    assert all("inferred" in q for q in rubric["requirements"])  # the flag reaches the form
    assert rubric["scale"] == [1.0, 0.8, 0.5, 0.0]
    assert len(rubric["scenario_catalogue"]["items"]) == 40
    assert rubric["metric_labels"]["device_networking_rate"]["zh"]
    r = await client.get(f"{API}/assessment/answers", headers=viewer)
    assert r.json()["updated"] is None and r.json()["document"]["answers"] == {}

    first = rubric["requirements"][0]["id"]
    good = {
        "enterprise_type": "discrete",
        "answers": {
            first: 1,
            "equipment.L1.a": {"score": 0.8, "note": "DNC on every CNC",
                               "evidence": ["https://dms.example/42", "doc:EQ-7"]},
        },
        "scenarios": {"4": {"implemented": True, "evidence": ["urn:plm:screens"]}},
    }  # fmt: skip
    for who in (viewer, operator):
        r = await client.put(f"{API}/assessment/answers", json=good, headers=who)
        assert_error(r, 403, "auth.forbidden")

    bad = {
        "answers": {
            "equipment.L1.x": 1,
            first: 0.7,
            "data.L2.a": {"score": "high"},
            "equipment.L1.a": {"score": 1, "evidence": ["/etc/passwd"]},
        },
        "scenarios": {"99": {"implemented": True}, "5": {"implemented": "yes"}},
        "enterprise_type": ["discrete"],
        "colour": "blue",
    }
    count = platform.audit_count()
    r = await client.put(f"{API}/assessment/answers", json=bad, headers=engineer)
    body = assert_error(r, 422, "input.validation")
    paths = {e["path"] for e in body["details"]["errors"]}  # type: ignore[index]
    assert paths == {
        "colour",
        "enterprise_type",
        "answers[equipment.L1.x]",
        f"answers[{first}].score",
        "answers[data.L2.a].score",
        "answers[equipment.L1.a].evidence[0]",
        "scenarios[99]",
        "scenarios[5].implemented",
    }
    assert "did you mean equipment.L1.a" in str(body["message"])
    assert "/etc/passwd" in str(body["message"]) and "URL" in str(body["message"])
    r = await client.get(f"{API}/assessment/answers", headers=viewer)
    assert r.json()["updated"] is None, "a rejected document stores nothing"
    assert platform.audit_count() == count

    r = await client.put(f"{API}/assessment/answers", json=good, headers=engineer)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["by"] == "engineer" and saved["document"]["answers"] == good["answers"]
    r = await client.get(f"{API}/assessment/answers", headers=viewer)
    assert r.json() == saved
    entry = platform.auth.audit.query(action="assessment.answers", limit=1)[0]
    assert entry.actor == "engineer" and entry.target == "assessment/answers"
    assert entry.before is not None and entry.before["updated"] is None
    assert entry.after is not None and entry.after["document"]["answers"][first] == 1
    r = await client.get(f"{API}/assessment", headers=viewer)
    assert r.json()["answered"] == 2 and r.json()["answers_by"] == "engineer"


async def test_a_run_on_recorded_events_scores_the_saved_answers_and_serves_the_pack(
    client: httpx.AsyncClient, platform: Platform, service: AssessmentService
) -> None:
    viewer, engineer = platform.bearer("viewer"), platform.bearer("engineer")
    url = f"{API}/assessment/runs"
    recorded = {"mode": "recorded", "lang": "en", "baseline": _window(0, 2),
                "current": _window(2, HOURS)}  # fmt: skip
    r = await client.post(url, json=recorded, headers=engineer)
    body = assert_error(r, 422, "input.invalid")
    assert "no machine events" in str(body["message"])

    events = platform.ctx.events
    assert events is not None
    events.extend(_events(HOURS))
    r = await client.get(f"{API}/assessment", headers=viewer)
    span = r.json()["events"]
    assert span["count"] == len(events) and span["first"] >= DEFAULT_EPOCH.isoformat()

    for wrong, field in (
        ({**recorded, "baseline": _window(-5, 1)}, "baseline"),
        ({**recorded, "current": _window(1, 9)}, "current"),
        ({**recorded, "baseline": _window(2, 3), "current": _window(0, 1)}, "baseline"),
        ({**recorded, "current": None}, "current"),
        ({**recorded, "baseline": "yesterday"}, "baseline"),
        ({"mode": "simulated", "baseline": _window(0, 1)}, "mode"),
        ({"mode": "simulated", "hours": 25}, "hours"),
    ):
        r = await client.post(url, json=wrong, headers=engineer)
        code = "input.validation" if field == "hours" else "input.invalid"
        body = assert_error(r, 422, code)
        assert field in str(body["message"]), (wrong, body)
    r = await client.post(url, json=recorded, headers=viewer)
    assert_error(r, 403, "auth.forbidden")

    answers = {"answers": {q: 1 for q in ("organization_strategy.L1.a", "equipment.L1.a")}}
    r = await client.put(f"{API}/assessment/answers", json=answers, headers=engineer)
    assert r.status_code == 200
    r = await client.post(url, json=recorded, headers=engineer)
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "running" and run["by"] == "engineer"
    assert run["spec"]["mode"] == "recorded" and run["spec"]["current"] == recorded["current"]
    r = await client.post(url, json={"mode": "simulated", "hours": 1}, headers=engineer)
    if r.status_code != 202:  # the first run is still going (it takes seconds)
        assert_error(r, 409, "assess.busy")
    entry = platform.auth.audit.query(action="assessment.run", limit=10)[-1]
    assert entry.target == f"assessment/runs/{run['id']}" and entry.actor == "engineer"

    await asyncio.to_thread(service.wait, RUN_DEADLINE_S)
    r = await client.get(f"{url}/{run['id']}", headers=viewer)
    assert r.status_code == 200
    done = r.json()
    assert done["status"] == "done", done["error"]
    doc = done["document"]
    assert doc["synthetic"] is False and doc["lang"] == "en"
    assert done["result"]["maturity_level"] == doc["maturity_level"]
    assert {"level", "maturity_level", "gates", "networking_list"} <= set(doc)
    assert len(doc["networking_list"]) == len(DEMO.equipment_by_path)
    scored = {q["id"]: q for q in doc["requirements"]}
    assert scored["equipment.L1.a"]["score"] == 1.0
    assert scored["equipment.L1.a"]["source"] != "unanswered"
    # the stored answers count: the same windows without them score lower
    plain = assessment_document(
        AssessRequest(
            plant=DEMO, lang="en", baseline=parse_interval(recorded["baseline"], "baseline"),
            current=parse_interval(recorded["current"], "current"), events=events.until(None),
            online={}, mes_applied=0,
        )
    )  # fmt: skip
    assert doc["maturity"]["total_score"] > plain["maturity"]["total_score"]
    assert doc["kpis"] == plain["kpis"], "the KPIs are those of the recorded windows"

    files = f"{url}/{run['id']}/files"
    r = await client.get(f"{files}/report.pdf", headers=viewer)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"
    r = await client.get(f"{files}/evidence.xlsx", headers=viewer)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    r = await client.get(f"{files}/report.html", headers=viewer)
    assert r.status_code == 200 and r.headers["content-security-policy"] == "sandbox"
    r = await client.get(f"{files}/assessment.json", headers=viewer)
    assert r.json() == doc
    r = await client.get(f"{files}/secrets.txt", headers=viewer)
    assert_error(r, 404, "input.not_found")
    r = await client.get(f"{url}/A-none", headers=viewer)
    assert_error(r, 404, "input.not_found")

    r = await client.get(url, headers=viewer)
    ids = [x["id"] for x in r.json()["items"]]
    assert run["id"] in ids
    latest = (await client.get(f"{API}/assessment", headers=viewer)).json()["latest"]
    assert latest is not None and latest["status"] == "done"


async def test_without_the_service_the_routes_answer_503(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    r = await client.get(f"{API}/assessment", headers=platform.bearer("viewer"))
    assert_error(r, 503, "api.unavailable")


async def test_a_failed_run_says_why_and_leaves_no_files(tmp_path: Path) -> None:
    opts = load_options().model_copy(update={"pdf_font": "No Such Font CJK"})
    svc = AssessmentService(DEMO, tmp_path / "assessment", options=opts)
    info = svc.start(RunSpec("simulated", "zh", 0.5), "engineer")
    await asyncio.to_thread(svc.wait, RUN_DEADLINE_S)
    failed = svc.run(info.id)
    assert failed.status == "failed" and failed.files == [] and failed.result is None
    assert failed.error is not None and "No Such Font CJK" in failed.error
    assert svc.running() is None
    with pytest.raises(NotFound, match="failed"):
        svc.file(info.id, "report.pdf")
    assert not (tmp_path / "assessment" / "runs" / info.id).exists()
    again = svc.start(RunSpec("simulated", "zh", 0.5), "engineer")  # the next one may go
    await asyncio.to_thread(svc.wait, RUN_DEADLINE_S)
    assert [r.id for r in svc.runs()] == [again.id, info.id]

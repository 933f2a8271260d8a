"""Maturity self-assessment: the rubric, the stored answers, assessment runs and their files.

The answers document is the same as an answers file (``docs/assess.md``), evidence by URL or
document id. A run scores the plant against the rubric and the MIIT gates and writes the
evidence pack; it takes seconds (the PDF), so ``POST /assessment/runs`` answers 202 at once
and ``GET /assessment/runs/{id}`` tells when it is ``done`` (or ``failed``, with why).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from shopfloor.api.common import ERRORS, Paging, audit
from shopfloor.api.context import ApiContext
from shopfloor.api.security import context, require
from shopfloor.assess.api import rubric_outline
from shopfloor.assess.catalog import scenarios
from shopfloor.assess.i18n import labels
from shopfloor.assess.periods import parse_interval
from shopfloor.assess.service import MAX_HOURS, OUTPUT_TYPES, RunSpec
from shopfloor.auth.principal import Principal
from shopfloor.auth.roles import Permission

router = APIRouter(tags=["assessment"], responses=ERRORS)
Ctx = Annotated[ApiContext, Depends(context)]
Reader = Annotated[Principal, require(Permission.READ)]
Assessor = Annotated[Principal, require(Permission.ASSESSMENT_EDIT)]
RunId = Annotated[str, Path(min_length=1, max_length=64)]
FileName = Annotated[str, Path(min_length=1, max_length=64)]


class RunIn(BaseModel):
    mode: Literal["simulated", "recorded"] = Field(
        "simulated",
        description="simulated: a baseline and a current period on the plant's twin "
        "(outputs say synthetic); recorded: two windows of the machine events this server holds",
    )
    lang: Literal["zh", "en"] = Field("zh", description="language of the outputs")
    hours: float | None = Field(
        None, gt=0, le=MAX_HOURS, description="length of each simulated period (simulated)"
    )
    baseline: str | None = Field(
        None, max_length=100, description="baseline window, ISO 8601 interval FROM/TO (recorded)"
    )
    current: str | None = Field(
        None, max_length=100, description="current window, ISO 8601 interval FROM/TO (recorded)"
    )
    probe: bool = Field(
        False,
        description="first test every device connection of the server's endpoints (the "
        "interconnection test report; a few seconds more)",
    )


@router.get("/assessment")
def overview(ctx: Ctx, who: Reader) -> dict[str, Any]:
    """Where the assessment stands: the rubric version, how many requirements are answered,
    the run going (if any), the latest finished run and the span of machine events a
    ``recorded`` run can use."""
    svc = ctx.need_assessment()
    record = svc.answers_record()
    latest = next((r for r in svc.runs() if r.status == "done"), None)
    running = svc.running()
    return {
        "rubric_version": svc.rubric.rubric_version,
        "answered": len(record["document"].get("answers") or {}),
        "requirements": sum(1 for _ in svc.rubric.requirements()),
        "answers_updated": record["updated"],
        "answers_by": record["by"],
        "running": None if running is None else running.to_dict(),
        "latest": None if latest is None else latest.to_dict(),
        "events": svc.events_span(),
        "max_hours": MAX_HOURS,
    }


@router.get("/assessment/rubric")
def rubric(ctx: Ctx, who: Reader) -> dict[str, Any]:
    """The rubric for an answer form: sub-domains, requirements (level, zh, en, ``inferred``),
    the score scale, the scenario catalogue (number, link, zh, en) for declarations and the
    names of the metrics the gates use (``metric_labels``)."""
    svc = ctx.need_assessment()
    out = rubric_outline(svc.rubric)
    cat = scenarios()
    out["scenario_catalogue"] = {
        "edition": cat.edition,
        "inferred": cat.inferred,
        "items": [{"n": s.n, "link": s.link, "zh": s.zh, "en": s.en} for s in cat.scenarios],
    }
    out["metric_labels"] = {
        key.removeprefix("metric."): {"zh": v["zh"], "en": v["en"]}
        for key, v in labels().items()
        if key.startswith("metric.")
    }
    return out


@router.get("/assessment/answers")
def get_answers(ctx: Ctx, who: Reader) -> dict[str, Any]:
    """The stored answers: ``document`` (an answers document), ``updated`` and ``by``."""
    return ctx.need_assessment().answers_record()


@router.put("/assessment/answers")
def put_answers(
    ctx: Ctx,
    who: Assessor,
    document: Annotated[
        dict[str, Any],
        Body(
            description="an answers document: {answers: {REQUIREMENT_ID: score or {score, note, "
            "evidence}}, scenarios: {N: {implemented, ai, evidence, note}}, enterprise_type}",
        ),
    ],
) -> dict[str, Any]:
    """Replace the stored answers with this document (audited). Every error is listed with
    its path and nothing is stored; evidence is a URL (http, https) or a document id (doc:,
    urn:)."""
    before, after = ctx.need_assessment().save_answers(document, who.username)
    audit(ctx, who, "assessment.answers", "assessment/answers", before, after)
    return after


@router.post("/assessment/runs", status_code=202)
def start_run(body: RunIn, ctx: Ctx, who: Assessor) -> dict[str, Any]:
    """Start an assessment run with the stored answers (audited); 409 while one is going.
    Poll ``GET /assessment/runs/{id}`` until its status is ``done`` or ``failed``."""
    windows = [
        parse_interval(text, name) if text is not None else None
        for text, name in ((body.baseline, "baseline"), (body.current, "current"))
    ]
    spec = RunSpec(body.mode, body.lang, body.hours, windows[0], windows[1], body.probe)
    info = ctx.need_assessment().start(spec, who.username)
    audit(ctx, who, "assessment.run", f"assessment/runs/{info.id}", None, info.spec)
    return info.to_dict()


@router.get("/assessment/runs")
def list_runs(ctx: Ctx, who: Reader, paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
    """Assessment runs, newest first: status, what was asked, the level reached, the files."""
    rows = ctx.need_assessment().runs(limit=paging.fetch)
    return paging.page([r.to_dict() for r in rows])


@router.get("/assessment/runs/{run_id}")
def get_run(run_id: RunId, ctx: Ctx, who: Reader) -> dict[str, Any]:
    """One run; when ``done``, ``document`` is its ``assessment.json`` (level, maturity_level,
    gates, explanation, gaps, networking_list, ...)."""
    svc = ctx.need_assessment()
    info = svc.run(run_id)
    out = info.to_dict()
    out["document"] = svc.document(run_id) if info.status == "done" else None
    return out


@router.get(
    "/assessment/runs/{run_id}/files/{name}",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in OUTPUT_TYPES.values()}}},
)
def get_file(run_id: RunId, name: FileName, ctx: Ctx, who: Reader) -> FileResponse:
    """A file of a finished run: assessment.json, report.html, report.pdf or evidence.xlsx."""
    path = ctx.need_assessment().file(run_id, name)
    inline = name in ("report.pdf", "report.html")
    headers = {"Content-Security-Policy": "sandbox"} if name.endswith(".html") else None
    return FileResponse(
        path,
        media_type=OUTPUT_TYPES[name],
        filename=f"{run_id}-{name}",
        content_disposition_type="inline" if inline else "attachment",
        headers=headers,
    )

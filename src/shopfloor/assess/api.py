"""The Python API of the assessment, for the CLI and the web page.

* :func:`build_outputs` (:class:`AssessRequest`) -> :class:`Outputs`: the assessment and the
  bytes of every output file (``assessment.json``, ``report.html``, ``report.pdf``,
  ``evidence.xlsx``; with a workspace also ``workspace.json`` and ``package.pdf``);
* :func:`assessment_document` -> the ``assessment.json`` document only (no PDF: fast, for the
  page);
* :func:`rubric_outline` -> the rubric's sub-domains and requirements (with inferred flags) for
  an answer form; :func:`check_answers` validates what the page sends (ValidationFailed with
  the path of every error).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shopfloor.assess.answers import Answers, answers_from_mapping
from shopfloor.assess.assessment import AssessInput, Assessment, Interval, assess
from shopfloor.assess.catalog import scenarios
from shopfloor.assess.desensitise import Desensitiser
from shopfloor.assess.documents import rubric_section
from shopfloor.assess.options import AssessOptions, load_options
from shopfloor.assess.package import package_pdf, workspace_html
from shopfloor.assess.probe import ProbeReport
from shopfloor.assess.report_html import render_html
from shopfloor.assess.report_pdf import render_pdf
from shopfloor.assess.rubric import Rubric, load_rubric
from shopfloor.assess.workspace import load_workspace
from shopfloor.assess.xlsx import render_xlsx
from shopfloor.events import MachineEvent
from shopfloor.plant.model import Plant


@dataclass
class AssessRequest:
    plant: Plant
    rubric: Rubric = field(default_factory=load_rubric)
    options: AssessOptions = field(default_factory=load_options)
    answers: Answers = field(default_factory=Answers.empty)
    lang: str = "zh"
    baseline: Interval | None = None
    current: Interval | None = None
    events: Sequence[MachineEvent] | None = None
    probe: ProbeReport | None = None
    online: Mapping[str, bool] | None = None
    mes_applied: int | None = None
    workspace: Path | None = None
    today: date | None = None


@dataclass
class Outputs:
    assessment: Assessment
    files: dict[str, bytes]
    workspace: dict[str, Any] | None


def _input(req: AssessRequest) -> AssessInput:
    return AssessInput(
        req.plant, req.rubric, req.options, req.answers, req.lang, req.baseline, req.current,
        req.events, req.probe, req.online, req.mes_applied,
    )  # fmt: skip


def assessment_document(req: AssessRequest) -> dict[str, Any]:
    return assess(_input(req)).doc


def build_outputs(req: AssessRequest) -> Outputs:
    """Everything in memory first: a failure anywhere writes nothing."""
    today = req.today or datetime.now(UTC).date()
    ws = None
    if req.workspace is not None:
        ws = load_workspace(req.workspace, today)
        des = Desensitiser(req.options.sensitive_fields)
        des.gather(req.plant.model_dump(mode="json", by_alias=True))
        ws = des.document(ws)
    a = assess(_input(req))
    font = req.options.pdf_font
    fragment = "" if ws is None else workspace_html(ws, a.lang, req.options)
    html = render_html(a.doc, a.svg, font=font, workspace_html=fragment)
    pdf = render_pdf(html, font)
    doc = a.doc if ws is None else {**a.doc, "workspace": ws}
    files = {
        "assessment.json": json.dumps(doc, ensure_ascii=False, indent=2).encode(),
        "report.html": html.encode(),
        "report.pdf": pdf,
        "evidence.xlsx": render_xlsx(a.doc, ws),
    }
    if ws is not None:
        files["workspace.json"] = json.dumps(ws, ensure_ascii=False, indent=2).encode()
        files["package.pdf"] = package_pdf(pdf, ws, font)
    return Outputs(a, files, ws)


def rubric_outline(rubric: Rubric | None = None) -> dict[str, Any]:
    rb = rubric or load_rubric()
    section = rubric_section(rb)
    section["requirements"] = [
        {"id": r.id, "level": lv, "subdomain": p.sub.id, "zh": r.zh, "en": r.en,
         "inferred": r.inferred}
        for p, lv, r in rb.requirements()
    ]  # fmt: skip
    section["scale"] = list(rb.scale)
    return section


def check_answers(doc: Mapping[str, Any], rubric: Rubric | None = None) -> Answers:
    return answers_from_mapping(doc, rubric or load_rubric(), scenarios().numbers)

"""``shopfloor assess``: maturity self-assessment and the MIIT smart-factory evidence pack.

Writes ``assessment.json``, ``report.html``, ``report.pdf`` and ``evidence.xlsx`` into
``--out`` (all or nothing), plus ``package.pdf`` and ``workspace.json`` with ``--workspace``.
Without ``--baseline``/``--current`` both periods are simulated on the plant's twin and every
output says ``synthetic: true``; without ``--answers`` only what the platform can evidence is
scored and the rest is unanswered.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from shopfloor.assess.answers import Answers, load_answers, parse_cli_answers
from shopfloor.assess.api import AssessRequest, build_outputs
from shopfloor.assess.catalog import scenarios
from shopfloor.assess.i18n import check_lang
from shopfloor.assess.options import load_options
from shopfloor.assess.periods import parse_interval, read_events
from shopfloor.assess.probe import ProbeReport, probe_configured, probe_virtual
from shopfloor.assess.rubric import load_rubric
from shopfloor.assess.writer import write_outputs
from shopfloor.config import load_settings
from shopfloor.errors import BadInput
from shopfloor.plant.loader import load_plant

PROBES = ("auto", "virtual", "configured", "off")


def assess_command(
    plant: str = typer.Option("demo", "--plant", help="Example plant name or plant YAML file."),
    out: Path = typer.Option(..., "--out", help="Folder to write the evidence pack into."),
    answers: Path | None = typer.Option(None, "--answers", help="Answers file (YAML or JSON)."),
    answer: list[str] = typer.Option(
        [], "--answer", help="One answer REQUIREMENT_ID=SCORE (repeatable; wins over the file)."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Baseline window, ISO 8601 interval FROM/TO."
    ),
    current: str | None = typer.Option(
        None, "--current", help="Current window, ISO 8601 interval FROM/TO."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="Machine events of the windows (JSON Lines, UNS wire form)."
    ),
    lang: str = typer.Option("zh", "--lang", help="Language of the outputs: zh or en."),
    rubric: Path | None = typer.Option(
        None, "--rubric", help="Another rubric version (YAML); default: the shipped draft."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Assessment settings (gates, weights, money, systems) YAML."
    ),
    probe: str = typer.Option(
        "auto",
        "--probe",
        help="Interconnection test: auto (virtual plant when simulated, else the configured "
        "endpoints), virtual, configured or off.",
    ),
    hours: float | None = typer.Option(
        None, "--hours", help="Length of each simulated period (default from settings: 8)."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="Application workspace YAML: also writes package.pdf."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Score the plant against the rubric and the MIIT gates; write the evidence pack."""
    tongue = check_lang(lang)
    if probe not in PROBES:
        raise BadInput(f"--probe must be one of {', '.join(PROBES)}, not {probe!r}")
    p = load_plant(plant)
    rb = load_rubric(rubric)
    opts = load_options(config)
    if hours is not None:
        if not 0 < hours <= 168:
            raise BadInput(f"--hours must be in (0, 168], not {hours!r}")
        opts = opts.model_copy(
            update={"simulate": opts.simulate.model_copy(update={"hours": hours})}
        )
    numbers = scenarios().numbers
    ans = load_answers(answers, rb, numbers) if answers is not None else Answers.empty()
    ans = ans.with_answers(parse_cli_answers(answer, rb))
    windows = [
        parse_interval(w, n) if w else None
        for w, n in ((baseline, "--baseline"), (current, "--current"))
    ]
    if (windows[0] is None) != (windows[1] is None):
        raise BadInput("give both --baseline and --current, or neither (then both are simulated)")
    recorded = read_events(events) if events is not None else None
    mode = probe if probe != "auto" else ("virtual" if windows[0] is None else "configured")
    report: ProbeReport | None = None
    if mode == "virtual":
        report = asyncio.run(probe_virtual(p, opts.probe.observe_s, opts.probe.timeout_s))
    elif mode == "configured":
        s = load_settings()
        report = asyncio.run(
            probe_configured(
                p, s.broker_url, opts.probe.observe_s, opts.probe.timeout_s, s.data_dir / "pki"
            )
        )
    request = AssessRequest(
        plant=p, rubric=rb, options=opts, answers=ans, lang=tongue,
        baseline=windows[0], current=windows[1], events=recorded, probe=report,
        workspace=workspace,
    )  # fmt: skip
    result = build_outputs(request)
    paths = write_outputs(out, result.files)
    doc = result.assessment.doc
    summary = {
        "level": doc["level"],
        "maturity_level": doc["maturity_level"],
        "total_score": doc["maturity"]["total_score"],
        "synthetic": doc["synthetic"],
        "files": [str(x) for x in paths],
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"gradient level: {doc['level_name'] or '-'}; maturity level: "
        f"{doc['maturity_level'] or '-'} (S = {doc['maturity']['total_score']:.3f})"
    )
    for line in doc["explanation"][:1] + doc["maturity"]["explanation"][:1]:
        typer.echo(line)
    for x in paths:
        typer.echo(f"wrote {x}")

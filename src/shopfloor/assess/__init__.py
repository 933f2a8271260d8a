"""Maturity self-assessment (GB/T 39116/39117) and the MIIT smart-factory evidence pack.

Data, not code: the rubric (``rubrics/``, versioned, every inferred item flagged), the default
settings with the gradient-level gates and their sources (``data/defaults.yaml``), the scenario
and platform feature catalogues, the evidence rules and the application materials.

Flow (:func:`shopfloor.assess.api.build_outputs`): the baseline and current periods (recorded
events or the twin, :mod:`.periods`) give KPI reports (:mod:`shopfloor.kpi`); the plant model,
live status and the interconnection test (:mod:`.probe`) give auto-evidence (:mod:`.metrics`);
answers and platform evidence score the rubric (:mod:`.scoring`); metrics, KPIs and the economic
benefit table (:mod:`.economics`) decide the gradient level (:mod:`.gates`); the assessment
document (:mod:`.assessment`) renders as ``report.html``, ``report.pdf`` and ``evidence.xlsx``.
"""

"""The rubric's part of the assessment document: provenance and one row per requirement.

Every inferred flag of the rubric is carried into the document: each requirement's
``inferred``, each sub-domain's ``name_inferred``, ``applicable_from_level_inferred``,
``applies_to_inferred`` and ``weight_inferred``, the level definitions' and enterprise types'
flags and every scoring rule's flag, so each output can show them.
"""

from __future__ import annotations

from typing import Any

from shopfloor.assess.rubric import Rubric
from shopfloor.assess.scoring import Maturity


def rubric_section(rubric: Rubric) -> dict[str, Any]:
    return {
        "version": rubric.rubric_version,
        "status": rubric.status,
        "notes": list(rubric.notes),
        "levels": [lv.model_dump() for lv in rubric.levels],
        "scoring_rules": [
            {"rule": what, "inferred": inferred, "confidence": conf}
            for what, inferred, conf in rubric.inferred_rules()
        ],
        "scale": [s.model_dump() for s in rubric.scoring.requirement_scale],
        "bands": [b.model_dump(exclude_none=True) for b in rubric.scoring.score_to_level],
        "enterprise_types": [t.model_dump() for t in rubric.enterprise_types],
        "subdomains": [
            {
                "id": p.sub.id,
                "zh": p.sub.zh,
                "en": p.sub.en,
                "element": p.element.id,
                "element_zh": p.element.zh,
                "element_en": p.element.en,
                "domain": p.domain.id,
                "name_inferred": p.sub.name_inferred,
                "applicable_from_level": p.sub.applicable_from_level,
                "applicable_from_level_inferred": p.sub.applicable_from_level_inferred,
                "applies_to": list(p.sub.applies_to),
                "applies_to_inferred": p.sub.applies_to_inferred,
                "weight": p.sub.weight,
                "weight_inferred": p.sub.weight_inferred,
                "evidence_hints": list(p.sub.evidence_hints),
                "note": p.sub.note,
            }
            for p in rubric.placed()
        ],
        "inferred_requirements": sum(1 for *_x, r in rubric.requirements() if r.inferred),
        "requirements_total": len(rubric.requirement_index),
    }


def requirement_rows(rubric: Rubric, maturity: Maturity) -> list[dict[str, Any]]:
    rows = []
    for placed, level, req in rubric.requirements():
        rs = maturity.requirements[req.id]
        a, p = rs.answer, rs.platform
        rows.append(
            {
                "id": req.id,
                "level": level,
                "subdomain": placed.sub.id,
                "subdomain_zh": placed.sub.zh,
                "subdomain_en": placed.sub.en,
                "zh": req.zh,
                "en": req.en,
                "inferred": req.inferred,
                "assessed": rubric.applicable(placed.sub, level, maturity.enterprise_type),
                "score": rs.score,
                "source": rs.source,
                "answer": None
                if a is None
                else {
                    "score": a.score,
                    "note": a.note,
                    "from": a.source,
                    "evidence": [e.to_dict() for e in a.evidence],
                },
                "platform": None if p is None else p.to_dict(),
                "disagrees": rs.disagrees,
            }
        )
    return rows

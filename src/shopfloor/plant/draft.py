"""Draft plant files from what discovery found (``shopfloor plant discover``).

Each protocol's discoverer (``discover`` of its connector row) returns equipment documents as the
plant file writes them, each with its own ``endpoint``; :func:`draft_plant` puts them in one site,
area, line and cell with unique ids, ready for ``plant validate`` and ``serve``. Names and
classes are guesses from what the devices say: the draft is for a person to review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

_BAD = re.compile(r"[^a-z0-9_-]+")


def seg_id(text: str, fallback: str = "x") -> str:
    """``text`` as a plant id segment: lower case, ``a-z 0-9 _ -``, starting alphanumeric."""
    s = _BAD.sub("-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text).lower()).strip("-_")
    s = re.sub(r"-{2,}", "-", s)[:48].strip("-_")
    return s if s and s[0].isalnum() else f"{fallback}-{s}".strip("-") if s else fallback


def tag_name(path: Sequence[str]) -> str:
    """A tag name from a browse path or metric name (``Status/StateCurrent`` ->
    ``status_state_current``)."""
    return seg_id("_".join(path), "tag").replace("-", "_")


def unique(ids: Iterable[str]) -> list[str]:
    """The ids with ``-2``, ``-3``... added to repeats."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        n = seen.get(i, 0) + 1
        seen[i] = n
        out.append(i if n == 1 else f"{i}-{n}")
    return out


def draft_plant(equipment: Sequence[dict[str, Any]], *, site: str = "site") -> dict[str, Any]:
    """A plant document holding ``equipment`` (ids made unique), for a person to review."""
    eqs = [dict(e) for e in equipment]
    for e, new in zip(eqs, unique(e["id"] for e in eqs), strict=True):
        e["id"] = new
    return {
        "schema": "shopfloor.plant/v1",
        "enterprise": {"id": "enterprise", "name": "Enterprise"},
        "site": {"id": seg_id(site, "site"), "name": site},
        "areas": [
            {
                "id": "area-1",
                "name": "Discovered",
                "lines": [
                    {
                        "id": "line-1",
                        "name": "Line 1",
                        "cells": [{"id": "cell-1", "name": "Cell 1", "equipment": eqs}],
                    }
                ],
            }
        ],
        "products": [],
        "routings": [],
    }

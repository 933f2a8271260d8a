"""The scenario catalogue (智能制造典型场景参考指引 2025) and the platform feature catalogue.

Both are data shipped in ``data/``: ``scenarios.yaml`` (8 links, 40 scenarios, the 要素条件 link
each maps onto, the features that carry it) and ``features.yaml`` (what each platform feature
is, the package that implements it, how an assessment proves it live, whether it is AI).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

DATA_PACKAGE = "shopfloor.assess.data"


@dataclass(frozen=True)
class Feature:
    id: str
    zh: str
    en: str
    module: str
    command: str
    proof: dict[str, Any] | None
    ai: bool
    closes: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    id: str
    zh: str
    en: str
    element_link: str


@dataclass(frozen=True)
class Scenario:
    n: int
    link: str
    zh: str
    en: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioCatalogue:
    edition: str
    inferred: bool
    links: dict[str, Link]
    scenarios: tuple[Scenario, ...]

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(s.n for s in self.scenarios)


def _load(name: str) -> Any:
    return yaml.safe_load(resources.files(DATA_PACKAGE).joinpath(name).read_text("utf-8"))


@cache
def features() -> dict[str, Feature]:
    out = {}
    for fid, f in _load("features.yaml").items():
        out[fid] = Feature(
            fid,
            f["zh"],
            f["en"],
            f["module"],
            f.get("command", ""),
            f.get("proof"),
            bool(f.get("ai", False)),
            tuple(f.get("closes", ())),
        )
    return out


@cache
def scenarios() -> ScenarioCatalogue:
    doc = _load("scenarios.yaml")
    links = {k: Link(k, v["zh"], v["en"], v["element_link"]) for k, v in doc["links"].items()}
    items = tuple(
        Scenario(s["n"], s["link"], s["zh"], s["en"], tuple(s.get("features", ())))
        for s in doc["scenarios"]
    )
    return ScenarioCatalogue(doc["edition"], bool(doc.get("inferred", True)), links, items)


def features_closing(target: str) -> list[Feature]:
    """Features that help with a metric or sub-domain id."""
    return [f for f in features().values() if target in f.closes]

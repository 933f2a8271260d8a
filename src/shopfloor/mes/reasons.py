"""The downtime reason-code tree: planned / unplanned, categories, leaves.

A reason code is the dotted path of a node (``unplanned.breakdown.mechanical``). The default tree
ships as ``reasons.yaml`` in this package; a plant may bring its own file of the same shape.
:func:`parse_reasons` reports every error with its path in the file, like the plant loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shopfloor.errors import BadInput, NotFound, ValidationFailed

REASONS_SCHEMA = "shopfloor.mes.reasons/v1"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
TOP = ("planned", "unplanned")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # dotted path
    name: str
    planned: bool
    leaf: bool
    #: The name by language code (``name: {en: ..., zh: ...}`` in the file).
    names: tuple[tuple[str, str], ...] = ()


class ReasonTree:
    """A validated reason tree; look codes up, check them, map machine reasons onto them."""

    def __init__(self, reasons: dict[str, Reason], machine: dict[str, str]) -> None:
        self.reasons = reasons
        self.machine = machine

    @property
    def leaves(self) -> list[str]:
        return [c for c, r in self.reasons.items() if r.leaf]

    def check(self, code: str) -> Reason:
        """The reason ``code`` names; :class:`BadInput` if unknown or not a leaf."""
        r = self.reasons.get(code)
        if r is None:
            near = [c for c in self.leaves if code and code.split(".")[-1] in c]
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise BadInput(
                f"reason: unknown reason code {code!r}{hint} (see `shopfloor mes reasons`)",
                reason=code,
            )
        if not r.leaf:
            kids = [c for c in self.leaves if c.startswith(code + ".")]
            raise BadInput(
                f"reason: {code!r} is a category; choose one of {', '.join(kids)}", reason=code
            )
        return r

    def from_machine(self, reason: str, category: str = "") -> str | None:
        """The leaf a machine's own reason (or category) maps to; None: unexplained."""
        for key in (reason, category):
            if key and key in self.machine:
                return self.machine[key]
            if key and key in self.reasons and self.reasons[key].leaf:
                return key
        return None

    def to_list(self) -> list[dict[str, Any]]:
        return [
            {
                "code": r.code,
                "name": r.name,
                "names": dict(r.names),
                "planned": r.planned,
                "leaf": r.leaf,
            }
            for r in self.reasons.values()
        ]


def _walk(
    node: Any, where: str, prefix: str, planned: bool, out: dict[str, Reason], errs: list[Any]
) -> None:
    if not isinstance(node, dict):
        errs.append((where, "must be a mapping with code, name and optional children"))
        return
    unknown = sorted(set(node) - {"code", "name", "children"})
    if unknown:
        errs.append((f"{where}.{unknown[0]}", "unknown field"))
    code = node.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        errs.append((f"{where}.code", "must be a-z, 0-9 and '_', starting with a letter or digit"))
        return
    full = f"{prefix}.{code}" if prefix else code
    if full in out:
        errs.append((f"{where}.code", f"duplicate reason code {full!r}"))
        return
    children = node.get("children") or []
    if not isinstance(children, list):
        errs.append((f"{where}.children", "must be a list of reasons"))
        children = []
    given = node.get("name")
    names: tuple[tuple[str, str], ...] = ()
    if isinstance(given, dict):
        if not given or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in given.items()
        ):
            errs.append((f"{where}.name", "a text, or texts by language code ({en: .., zh: ..})"))
            return
        names = tuple(given.items())
        given = given.get("en") or next(iter(given.values()))
    out[full] = Reason(full, str(given or code), planned, leaf=not children, names=names)
    for i, child in enumerate(children):
        _walk(child, f"{where}.children[{i}]", full, planned, out, errs)


def parse_reasons(doc: Any, source: str = "<reasons>") -> ReasonTree:
    """Validate a parsed reason file; :class:`ValidationFailed` lists every error by path."""
    what = f"reason file {source}"
    if not isinstance(doc, dict):
        raise ValidationFailed(what, [("", "must be a YAML mapping")])
    errs: list[tuple[str, str]] = []
    if doc.get("schema") != REASONS_SCHEMA:
        errs.append(("schema", f"must be {REASONS_SCHEMA!r}, got {doc.get('schema')!r}"))
    for key in sorted(set(doc) - {"schema", "reasons", "machine_reasons"}):
        errs.append((key, "unknown field"))
    top = doc.get("reasons")
    out: dict[str, Reason] = {}
    if not isinstance(top, list) or not top:
        errs.append(("reasons", "must be a non-empty list"))
        top = []
    for i, node in enumerate(top):
        code = node.get("code") if isinstance(node, dict) else None
        if code not in TOP:
            errs.append((f"reasons[{i}].code", f"top-level reasons are {' and '.join(TOP)}"))
        _walk(node, f"reasons[{i}]", "", code == "planned", out, errs)
    for t in TOP:
        if top and t not in out and not any(p.startswith("reasons[") for p, _ in errs):
            errs.append(("reasons", f"the top-level reason {t!r} is missing"))
    machine = doc.get("machine_reasons") or {}
    if not isinstance(machine, dict):
        errs.append(("machine_reasons", "must map machine reasons to reason codes"))
        machine = {}
    for key, target in machine.items():
        r = out.get(str(target))
        if r is None:
            errs.append((f"machine_reasons.{key}", f"unknown reason code {target!r}"))
        elif not r.leaf:
            errs.append((f"machine_reasons.{key}", f"{target!r} is a category, not a leaf"))
    if errs:
        raise ValidationFailed(what, errs)
    return ReasonTree(out, {str(k): str(v) for k, v in machine.items()})


def load_reasons(path: str | Path | None = None) -> ReasonTree:
    """The reason tree in ``path``, or the default tree shipped with the package."""
    if path is None:
        text = resources.files("shopfloor.mes").joinpath("reasons.yaml").read_text("utf-8")
        source = "default reasons.yaml"
    else:
        p = Path(path)
        if not p.exists():
            raise NotFound(f"reason file {p} does not exist")
        text, source = p.read_text("utf-8"), str(p)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"reason file {source} is not valid YAML: {exc}") from None
    return parse_reasons(doc, source)

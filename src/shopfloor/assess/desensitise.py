"""Desensitisation (脱敏) of the configured sensitive fields before anything is written.

``sensitive_fields`` names keys (``serial``, ``endpoint``, ``vendor``, ``enterprise``...); every
string value under such a key anywhere in the assessment document is masked, keeping its first
and last character (``DMU50-24017`` -> ``D*********7``); numbers are replaced by ``***``. Known
values (the enterprise's name, serial numbers) are also masked where they occur inside other
texts. The list of masked fields is part of the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "*"


def mask(value: str) -> str:
    if len(value) <= 2:
        return MASK * len(value)
    return value[0] + MASK * (len(value) - 2) + value[-1]


class Desensitiser:
    def __init__(self, fields: Iterable[str], known: Iterable[str] = ()) -> None:
        self.fields = frozenset(fields)
        self.known = sorted({k for k in known if len(k) > 2}, key=len, reverse=True)

    @property
    def active(self) -> bool:
        return bool(self.fields)

    def text(self, value: str) -> str:
        for k in self.known:
            if k in value:
                value = value.replace(k, mask(k))
        return value

    def gather(self, doc: Any, key: str | None = None, inside: bool = False) -> None:
        """Remember every text under a sensitive key (at any depth below it), to mask it
        inside other texts too."""
        inside = inside or key in self.fields
        if isinstance(doc, dict):
            for k, v in doc.items():
                self.gather(v, str(k), inside)
        elif isinstance(doc, list | tuple):
            for v in doc:
                self.gather(v, key, inside)
        elif isinstance(doc, str) and inside and len(doc) > 2:
            self.known = sorted({*self.known, doc}, key=len, reverse=True)

    def document(self, doc: Any) -> Any:
        """A copy of ``doc`` with the sensitive fields masked, wherever their values occur."""
        if not self.fields:
            return doc
        self.gather(doc)
        return self.apply(doc)

    def apply(self, doc: Any, key: str | None = None, inside: bool = False) -> Any:
        """A copy of ``doc`` with the sensitive fields (and known values) masked."""
        if not self.fields:
            return doc
        inside = inside or key in self.fields
        if isinstance(doc, dict):
            return {k: self.apply(v, str(k), inside) for k, v in doc.items()}
        if isinstance(doc, list | tuple):
            return [self.apply(v, key, inside) for v in doc]
        if inside:
            if isinstance(doc, str):
                return mask(doc)
            if isinstance(doc, int | float) and not isinstance(doc, bool):
                return MASK * 3
        if isinstance(doc, str):
            return self.text(doc)
        return doc

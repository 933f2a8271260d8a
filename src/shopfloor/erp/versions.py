"""Which B2MML version a document is, told by its namespace, and where its B2MML part starts.

B2MML puts its version in the namespace: ``http://www.mesa.org/xml/B2MML-V0600`` is V0600, the
version-less ``http://www.mesa.org/xml/B2MML`` is the current V07 generation (schemas V0701),
older documents use ``http://www.wbf.org/xml/B2MML-V0401`` and the like. Documents are sometimes
wrapped in another format (an MTConnect asset holding a ``ProductDefinition``): the B2MML
elements are then the outermost elements in a B2MML namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from shopfloor.erp.errors import UnsupportedDocument, UnsupportedVersion

V0600 = "V0600"
V0701 = "V0701"

#: Namespace -> version, for the versions this package reads and writes.
NAMESPACES: dict[str, str] = {
    "http://www.mesa.org/xml/B2MML-V0600": V0600,
    "http://www.mesa.org/xml/B2MML": V0701,
}
NAMESPACE_OF = {v: k for k, v in NAMESPACES.items()}
SUPPORTED = (V0600, V0701)

#: MESA's (and before it WBF's) B2MML and BatchML namespaces, every version.
_B2MML_NS = re.compile(r"^https?://www\.(mesa|wbf)\.org/xml/(b2mml|batchml)", re.IGNORECASE)
_VERSION_IN_NS = re.compile(r"(?:b2mml|batchml)[-_/ ]?v?(\d{3,4})", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One B2MML element tree of a document, with its version."""

    element: Any
    version: str

    @property
    def namespace(self) -> str:
        return str(etree.QName(self.element).namespace or "")

    @property
    def name(self) -> str:
        return str(etree.QName(self.element).localname)


def is_b2mml(namespace: str) -> bool:
    return namespace in NAMESPACES or bool(_B2MML_NS.search(namespace))


def version_of(namespace: str, source: str, line: int | None) -> str:
    """The supported version for ``namespace``; :class:`UnsupportedVersion` naming it if not."""
    if namespace in NAMESPACES:
        return NAMESPACES[namespace]
    m = _VERSION_IN_NS.search(namespace)
    named = f"B2MML version V{int(m.group(1)):04d}" if m else "this B2MML version"
    raise UnsupportedVersion(
        source,
        f"{named} (namespace {namespace!r}) is not supported; shopfloor reads and writes "
        f"B2MML {' and '.join(SUPPORTED)} ({', '.join(NAMESPACE_OF[v] for v in SUPPORTED)})",
        line=line,
        version=m.group(1) if m else None,
        namespace=namespace,
    )


def b2mml_parts(tree: Any, source: str) -> list[Part]:
    """The outermost B2MML elements of the document (the root itself for a plain document)."""
    root = tree.getroot()
    ns = str(etree.QName(root).namespace or "")
    if is_b2mml(ns):
        return [Part(root, version_of(ns, source, root.sourceline))]
    found: list[Part] = []
    for el in root.iterdescendants(etree.Element):
        el_ns = str(etree.QName(el).namespace or "")
        if not is_b2mml(el_ns):
            continue
        parent = el.getparent()
        if parent is not None and is_b2mml(str(etree.QName(parent).namespace or "")):
            continue
        found.append(Part(el, version_of(el_ns, source, el.sourceline)))
    if not found:
        shown = f"{{{ns}}}{etree.QName(root).localname}" if ns else etree.QName(root).localname
        raise UnsupportedDocument(
            source,
            f"not a B2MML document: the root element is {shown} and no element is in a B2MML "
            f"namespace ({', '.join(NAMESPACES)})",
            line=root.sourceline,
        )
    return found

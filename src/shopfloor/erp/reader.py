"""Read a B2MML document: parse safely, tell its version, validate it against the official
schema of that version, then map it to an :class:`ImportedDocument`.

Nouns read: schedules (``ProductionSchedule``, ``ProductionRequest``, ``OperationsSchedule``,
``OperationsRequest``), product definitions (``ProductDefinition``, ``ProductInformation``,
``OperationsDefinition``, ``OperationsDefinitionInformation``) and materials
(``MaterialDefinition``, ``MaterialLot``, ``MaterialInformation``), alone or inside a
transaction document (``ProcessProductionSchedule``, ``SyncProductDefinition``...) whose verb is
Process, Sync or Show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from shopfloor.erp.errors import UnsupportedDocument, mapping_errors
from shopfloor.erp.model import ImportedDocument
from shopfloor.erp.read_definition import (
    DEFINITIONS,
    MATERIALS,
    OPERATIONS,
    read_definitions,
    read_materials,
)
from shopfloor.erp.read_schedule import REQUESTS, SCHEDULES, read_schedule
from shopfloor.erp.safexml import parse_xml
from shopfloor.erp.schemas import validate
from shopfloor.erp.versions import Part, b2mml_parts
from shopfloor.erp.xmlread import Problems, kid, line_of, local

Reader = Callable[[Any, str, str, Problems], ImportedDocument]

READERS: dict[str, Reader] = {
    **dict.fromkeys(SCHEDULES + REQUESTS, read_schedule),
    **dict.fromkeys(DEFINITIONS + OPERATIONS, read_definitions),
    **dict.fromkeys(MATERIALS, read_materials),
}
#: Transaction verbs whose data is imported (Get, Cancel, Acknowledge... are not requests to
#: take data in).
VERBS = ("Process", "Sync", "Show")
_ALL_VERBS = (*VERBS, "Get", "Change", "Cancel", "Acknowledge", "Respond", "Confirm")


def read_b2mml(data: bytes, source: str, schema_dir: Path | None) -> ImportedDocument:
    """Everything ``data`` asks for; every refusal names the line and the reason."""
    tree = parse_xml(data, source)
    result: ImportedDocument | None = None
    for part in b2mml_parts(tree, source):
        validate(part.element, part.version, schema_dir, source)
        doc = _read_part(part, source)
        result = doc if result is None else result.merged(doc)
    assert result is not None  # b2mml_parts refuses a document without B2MML
    return result


def _nouns(el: Any, source: str) -> list[Any]:
    """The data elements of a transaction document, or the element itself."""
    area = kid(el, "DataArea")
    if area is None:
        return [el]
    children = [c for c in area if isinstance(c.tag, str)]
    verb = local(children[0]) if children else ""
    if verb not in VERBS:
        shown = verb if verb in _ALL_VERBS else f"{verb or 'no'} verb"
        raise UnsupportedDocument(
            source,
            f"{local(el)}: {shown} transactions are not imported; send the data with a "
            f"{', '.join(VERBS)} verb",
            line=line_of(children[0] if children else area),
        )
    return children[1:]


def _read_part(part: Part, source: str) -> ImportedDocument:
    problems = Problems()
    docs: list[ImportedDocument] = []
    for noun in _nouns(part.element, source):
        reader = READERS.get(local(noun))
        if reader is None:
            raise UnsupportedDocument(
                source,
                f"{local(noun)} documents are not imported; shopfloor imports {', '.join(READERS)}",
                line=line_of(noun),
            )
        docs.append(reader(noun, part.version, source, problems))
    if problems:
        raise mapping_errors(source, problems.items)
    if not docs:
        raise UnsupportedDocument(
            source, "the document carries no data", line=line_of(part.element)
        )
    result = docs[0]
    for d in docs[1:]:
        result = result.merged(d)
    return result

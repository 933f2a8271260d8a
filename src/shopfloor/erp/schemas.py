"""The official B2MML schemas: found under the ``b2mml_schema_dir`` setting, compiled once.

The folder holds the V0701 schemas at its top level (or in ``V0701/``) and the V0600 schemas in
``V0600/``, as MESA publishes them. Each document is validated against the schema module that
declares its root element (``B2MML-V0600-ProductionSchedule.xsd`` for a ``ProductionSchedule``):
V0600's ``AllSchemas.xsd`` does not compile, and one module compiles faster than all of them.
Compiled schemas are cached per file for the life of the process.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from shopfloor.erp.errors import UnsupportedDocument, schema_errors
from shopfloor.erp.versions import V0600, V0701
from shopfloor.errors import ConfigError

_XS = "{http://www.w3.org/2001/XMLSchema}"
#: A file that tells each version's folder apart.
_MARKER = {V0701: "B2MML-Common.xsd", V0600: "B2MML-V0600-Common.xsd"}
_SUBDIRS = {V0701: ("", "V0701"), V0600: ("V0600", "")}
_MAX_ERRORS = 50
_lock = threading.Lock()


def schema_folder(base: Path | None, version: str) -> Path:
    """The folder of ``version``'s XSDs under ``base``; :class:`ConfigError` saying what to set."""
    if base is None:
        raise ConfigError(
            "b2mml_schema_dir is not set: point it (env SHOPFLOOR_B2MML_SCHEMA_DIR) at your "
            "copy of the official MESA B2MML schemas (V0701 at its top level, V0600 in V0600/)"
        )
    for sub in _SUBDIRS[version]:
        folder = Path(base) / sub if sub else Path(base)
        if (folder / _MARKER[version]).is_file():
            return folder
    raise ConfigError(
        f"b2mml_schema_dir {base}: no B2MML {version} schemas there (looked for "
        f"{' and '.join(str(Path(base) / s / _MARKER[version]) for s in _SUBDIRS[version])})"
    )


def _schema_parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@lru_cache(maxsize=8)
def _element_index(folder: str) -> dict[str, str]:
    """Global element name -> the schema file that declares it (``AllSchemas*`` left out)."""
    index: dict[str, str] = {}
    for f in sorted(Path(folder).glob("*.xsd")):
        if f.name.startswith("AllSchemas"):
            continue
        root = etree.parse(str(f), _schema_parser()).getroot()
        for el in root.findall(f"{_XS}element"):
            name = el.get("name")
            if name and name not in index:
                index[name] = str(f)
    return index


@lru_cache(maxsize=64)
def _compiled(path: str) -> Any:
    try:
        return etree.XMLSchema(etree.parse(path, _schema_parser()))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"B2MML schema {path} does not compile: {exc}") from None


def schema_for(base: Path | None, version: str, element_name: str, source: str = "") -> Any:
    """The compiled schema that declares the global element ``element_name`` in ``version``."""
    folder = str(schema_folder(base, version).resolve())
    with _lock:  # compiling is slow: never twice for the same file
        path = _element_index(folder).get(element_name)
        if path is None:
            raise UnsupportedDocument(
                source or element_name,
                f"{element_name} is not a global element of the B2MML {version} schemas",
            )
        return _compiled(path)


def validate(element: Any, version: str, base: Path | None, source: str) -> None:
    """Validate ``element`` against its schema; raise listing every error with its line."""
    name = etree.QName(element).localname
    schema = schema_for(base, version, name, source)
    if schema.validate(element):
        return
    errors = [(e.line or None, e.message) for e in schema.error_log][:_MAX_ERRORS]
    raise schema_errors(source, version, errors)


def check_valid(element: Any, version: str, base: Path | None) -> list[tuple[int | None, str]]:
    """The schema errors of a document we wrote (empty when it is valid)."""
    schema = schema_for(base, version, etree.QName(element).localname)
    if schema.validate(element):
        return []
    return [(e.line or None, e.message) for e in schema.error_log][:_MAX_ERRORS]

"""Parse XML from outside without letting it reach anything: no DTD, no entities, no network.

A document type declaration is refused before the parser sees the document: it is what XML
external entities (``<!ENTITY x SYSTEM "file:///etc/passwd">``), entity expansion bombs
("billion laughs") and external DTD fetches need, and B2MML never uses one. The parser is also
configured so that none of these could work if a declaration slipped through
(``resolve_entities=False``, ``no_network=True``, ``load_dtd=False``, ``huge_tree=False``), and
the parsed tree is checked once more for a DTD.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from lxml import etree

from shopfloor.erp.errors import MalformedXml, UnsafeXml

#: Larger documents are refused (an ERP schedule is kilobytes to a few megabytes).
MAX_BYTES = 64 * 1024 * 1024

_TRAILING_WHERE = re.compile(r",? line \d+, column \d+$")
_MARKUP = ("<!DOCTYPE", "<!ENTITY")
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
        remove_blank_text=False,
    )


def _text_for_scan(data: bytes) -> str:
    """The document as text for the DTD scan (ASCII-compatible encodings scan as Latin-1)."""
    for bom, encoding in _WIDE:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if data[:4] in (b"<\x00?\x00", b"<\x00\x00\x00"):
        return data.decode("utf-16-le", errors="replace")
    if data[:4] in (b"\x00<\x00?", b"\x00\x00\x00<"):
        return data.decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def refuse_dtd(data: bytes, source: str) -> None:
    """Raise :class:`UnsafeXml` at the line of a DOCTYPE or ENTITY declaration, if any."""
    text = _text_for_scan(data)
    hits = [(text.find(m), m) for m in _MARKUP if m in text]
    if not hits:
        return
    at, marker = min(hits)
    line = text.count("\n", 0, at) + 1
    raise UnsafeXml(
        source,
        f"{marker} declaration refused: document type declarations and entities can read "
        "local files, reach the network or expand without bound, and B2MML does not use "
        "them; send the document without its DOCTYPE",
        line=line,
    )


def parse_xml(data: bytes, source: str) -> Any:
    """The element tree of ``data``; :class:`MalformedXml` or :class:`UnsafeXml` with the line."""
    if len(data) > MAX_BYTES:
        raise UnsafeXml(
            source, f"document is {len(data)} bytes; documents over {MAX_BYTES} bytes are refused"
        )
    if not data.strip():
        raise MalformedXml(source, "the document is empty", line=1)
    refuse_dtd(data, source)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        column = exc.position[1] if exc.position else None
        reason = _TRAILING_WHERE.sub("", str(exc.msg or exc).strip())
        col = f", column {column}" if column else ""
        raise MalformedXml(source, f"not well-formed XML{col}: {reason}", line=line) from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise UnsafeXml(source, "document type declaration refused", line=1)
    return tree

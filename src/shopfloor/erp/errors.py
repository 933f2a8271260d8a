"""The errors of ERP integration, each naming the document, the line and the reason.

Bad documents are :class:`~shopfloor.errors.BadInput` (CLI exit 2): malformed or hostile XML,
an unsupported B2MML version, schema violations (every one with its line), references the plant
does not know. A webhook that cannot be delivered is a failure of ours (exit 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shopfloor.errors import BadInput, ShopfloorError, ValidationFailed


def where(source: str, line: int | None) -> str:
    """``orders.xml: line 12`` (or just the source when the line is not known)."""
    return f"{source}: line {line}" if line else source


class ErpInputError(BadInput):
    """A document the importer refuses; ``line`` is where the reader could tell."""

    code = "erp.invalid"

    def __init__(self, source: str, reason: str, *, line: int | None = None, **details: Any):
        super().__init__(f"{where(source, line)}: {reason}", line=line, reason=reason, **details)
        self.source = source
        self.line = line
        self.reason = reason


class MalformedXml(ErpInputError):
    """The bytes are not well-formed (namespace-aware) XML."""

    code = "erp.malformed_xml"


class UnsafeXml(ErpInputError):
    """DOCTYPE, entity declarations or an oversized document: refused before any expansion."""

    code = "erp.unsafe_xml"


class UnsupportedVersion(ErpInputError):
    """A B2MML version (namespace) this importer has no schemas and no mapping for."""

    code = "erp.unsupported_version"


class UnsupportedDocument(ErpInputError):
    """A valid B2MML document of a kind the importer does not map (e.g. a PersonnelClass)."""

    code = "erp.unsupported_document"


class DocumentErrors(ValidationFailed):
    """Several problems in one document, each as ``line N`` and its reason."""

    def __init__(self, what: str, errors: Sequence[tuple[int | None, str]], *, code: str) -> None:
        super().__init__(what, [(f"line {ln}" if ln else "", msg) for ln, msg in errors])
        self.code = code
        self.lines = [ln for ln, _msg in errors]


def schema_errors(source: str, version: str, errors: Sequence[tuple[int | None, str]]) -> Exception:
    """The document breaks the official B2MML schema of its version."""
    return DocumentErrors(
        f"{source} is not valid B2MML {version}", errors, code="erp.schema_invalid"
    )


def reference_errors(source: str, errors: Sequence[tuple[int | None, str]]) -> Exception:
    """The document names products, materials or equipment the plant does not know."""
    return DocumentErrors(
        f"{source} references what the plant does not know", errors, code="erp.unknown_reference"
    )


def mapping_errors(source: str, errors: Sequence[tuple[int | None, str]]) -> Exception:
    """The document is valid B2MML but cannot become plant master data or job orders."""
    return DocumentErrors(f"{source} cannot be imported", errors, code="erp.unmappable")


class WebhookFailed(ShopfloorError):
    """A webhook could not be delivered after its retries."""

    code = "erp.webhook_failed"

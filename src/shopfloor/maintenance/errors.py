"""Errors of the maintenance layer, each with a stable code (see :mod:`shopfloor.errors`)."""

from __future__ import annotations

from shopfloor.errors import BadInput, ShopfloorError


class MaintenanceError(ShopfloorError):
    """Base of the maintenance layer's failures."""

    code = "maintenance.error"


class DataError(BadInput):
    """Run-to-failure or process data cannot be read; the message names the file and field."""

    code = "maintenance.data"


class SchemaMismatch(BadInput):
    """The data's feature columns are not the ones the model was trained on."""

    code = "maintenance.schema_mismatch"


class IntegrityError(MaintenanceError):
    """A stored model file does not match the hash its manifest records: it is never loaded."""

    code = "maintenance.integrity"


class MissingExtra(MaintenanceError):
    """An optional dependency (installed with an extra) is needed and missing."""

    code = "maintenance.missing_extra"


class UnknownModel(BadInput):
    """A model name is not in the catalogue or the registry."""

    code = "maintenance.unknown_model"

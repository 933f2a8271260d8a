"""The REST API (``/api/v1``, OpenAPI at ``/openapi.json``): :func:`create_app` over an
:class:`ApiContext`, served by :class:`ApiServer`. See ``docs/api.md``."""

from shopfloor.api.app import API_PREFIX, Extension, create_app
from shopfloor.api.context import ApiContext
from shopfloor.api.events import EventLog
from shopfloor.api.live import LiveValue, LiveValues
from shopfloor.api.server import ApiServer

__all__ = [
    "API_PREFIX",
    "ApiContext",
    "ApiServer",
    "EventLog",
    "Extension",
    "LiveValue",
    "LiveValues",
    "create_app",
]

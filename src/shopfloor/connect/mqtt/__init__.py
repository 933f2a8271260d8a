"""Plain-JSON Unified Namespace connector: reads the bus's UNS topics (:mod:`shopfloor.bus`).

- :mod:`~shopfloor.connect.mqtt.config`: :class:`UnsConfig`, typed settings with ``validate()``.
- :mod:`~shopfloor.connect.mqtt.client`: :class:`UnsConnector`, the one place that reads them.
"""

from shopfloor.connect.mqtt.client import UnsConnector
from shopfloor.connect.mqtt.config import UnsConfig

__all__ = ["UnsConfig", "UnsConnector"]

"""Modbus TCP: the virtual plant's gateway (server) and the connector that polls it (client).

- :mod:`~shopfloor.connect.modbus.config`: typed settings with ``validate()``.
- :mod:`~shopfloor.connect.modbus.registers`: the point table codec and read planning.
- :mod:`~shopfloor.connect.modbus.layout`: unit ids, the gateway block, exception conventions.
- :mod:`~shopfloor.connect.modbus.server`: :class:`ModbusGateway` (PlantOutlet + Service).
- :mod:`~shopfloor.connect.modbus.client`: :class:`ModbusClient` and :class:`ModbusPoller`.
"""

from shopfloor.connect.modbus.client import ModbusClient, ModbusPoller
from shopfloor.connect.modbus.config import GatewayConfig, PollerConfig
from shopfloor.connect.modbus.layout import UnitMap, unit_maps
from shopfloor.connect.modbus.registers import ModbusPoint, ReadBlock, plan_reads
from shopfloor.connect.modbus.server import ModbusGateway

__all__ = [
    "GatewayConfig",
    "ModbusClient",
    "ModbusGateway",
    "ModbusPoint",
    "ModbusPoller",
    "PollerConfig",
    "ReadBlock",
    "UnitMap",
    "plan_reads",
    "unit_maps",
]

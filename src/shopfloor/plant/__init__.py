"""The ISA-95 plant model and its master data (see :mod:`shopfloor.plant.model`)."""

from shopfloor.plant.loader import example_names, load_plant, parse_plant
from shopfloor.plant.model import (
    Connectivity,
    DataType,
    Equipment,
    EquipmentClass,
    Plant,
    Protocol,
    Tag,
)
from shopfloor.plant.states import TIME_ELEMENT, PackMLState, TimeElement

__all__ = [
    "TIME_ELEMENT",
    "Connectivity",
    "DataType",
    "Equipment",
    "EquipmentClass",
    "PackMLState",
    "Plant",
    "Protocol",
    "Tag",
    "TimeElement",
    "example_names",
    "load_plant",
    "parse_plant",
]

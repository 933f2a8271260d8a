"""shopfloor: an open-source smart-factory platform."""

__version__ = "0.1.0"

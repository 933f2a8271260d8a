"""Connectors: one folder per protocol (``opcua/``, ``sparkplug/``, ``modbus/``...), each with the
same files, turning device data into samples and events and writing commands back."""

"""Sparkplug B over MQTT (Eclipse Sparkplug Specification 3.0.0).

The payload codec is :mod:`shopfloor.connect.sparkplug.codec` (written from the specification,
no protobuf library), topic names are :mod:`shopfloor.connect.sparkplug.topics`.
"""

"""Composition of services for ``demo``, ``serve`` and ``run`` (see :mod:`.compose`)."""

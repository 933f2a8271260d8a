"""Benchmarks: ``shopfloor bench NAME --json`` prints one JSON object of figures."""

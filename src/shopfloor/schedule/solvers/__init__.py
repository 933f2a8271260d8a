"""Solver backends. Each folder has the same shape: ``solver.py`` with
``solve(problem, options) -> SolveResult``, re-exported by the folder's ``__init__``, plus the
modules that backend needs. :mod:`shopfloor.schedule.registry` lists them by name."""

"""Experiments: the functions the CLI calls (``compare``: offline drops; ``sweep``: a grid of
compares or live episodes as Ray tasks, resumable from parquet shards).

Each experiment has one pydantic config schema (validated on load: an unknown field, a wrong
type or a value out of range is one line naming the field, the value and what is allowed) and
one entry function; the CLI only parses, validates, calls it and prints.
"""
from __future__ import annotations

__all__ = ["CompareConfig", "run_compare", "SweepConfig", "run_sweep", "load_sweep_config"]


def __getattr__(name):          # lazy: importing agents.experiments must not pull torch or ray
    if name in ("CompareConfig", "run_compare", "CompareResult"):
        from . import compare
        return getattr(compare, name)
    if name in ("SweepConfig", "run_sweep", "load_sweep_config"):
        from . import sweep
        return getattr(sweep, name)
    raise AttributeError(name)

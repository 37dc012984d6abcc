"""The config of a sweep (``satcoop sweep CONFIG.toml``): :class:`SweepConfig`.

``kind`` names the point (``compare``: :class:`agents.config.CompareConfig`; ``run``:
:class:`agents.config.RunConfig`), ``base`` its fixed fields, ``grid`` the axes (dotted field
names) and their values; each point is validated before any work (:mod:`agents.experiments.sweep`).
"""
from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["SweepConfig", "canon"]


def canon(value) -> str:
    """Canonical JSON text of a value (sorted keys): the identity of grid points and campaigns."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


MAX_UNITS = 100_000          # units (grid point x replicate) of one sweep: each has its manifest entry and rows


class SweepConfig(BaseModel):
    """The sweep file's schema. ``grid``: axis name (a config field, dotted for nested fields) ->
    non-empty list of values; ``crn_axes``: grid axes left out of the unit seed (common random
    numbers); ``chunk_size``: units per Ray task (None: about four chunks per CPU);
    ``max_retries``: Ray retries of a failed task."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["compare", "run"]
    seed: int = Field(0, ge=0)
    replicates: int = Field(1, ge=1, le=10_000)
    base: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]]
    crn_axes: list[str] = Field(default_factory=list)
    chunk_size: int | None = Field(None, ge=1)
    max_retries: int = Field(2, ge=0, le=20)

    @field_validator("grid")
    @classmethod
    def _grid_nonempty(cls, v):
        if not v:
            raise ValueError("empty grid: give at least one axis, e.g. power_dbw = [0, 5]")
        for name, values in v.items():
            if not values:
                raise ValueError(f"axis {name!r} has no values")
            if len({canon(x) for x in values}) != len(values):
                raise ValueError(f"axis {name!r} repeats a value: {values}")
        return v

    @model_validator(mode="after")
    def _axes(self):
        for a in self.crn_axes:
            if a not in self.grid:
                raise ValueError(f"crn_axes: {a!r} is not a grid axis; axes: {list(self.grid)}")
        units = self.replicates * math.prod(len(v) for v in self.grid.values())
        if units > MAX_UNITS:                 # checked before the points are expanded (1e9 would hang there)
            raise ValueError(f"replicates x grid points = {units:,} units: at most {MAX_UNITS:,} in one sweep "
                             f"(split it into several sweeps)")
        if "seed" in self.base or "seed" in self.grid:
            raise ValueError("seed is set per unit by the sweep (from the sweep's seed, the point and "
                             "the replicate); remove it from base/grid")
        return self

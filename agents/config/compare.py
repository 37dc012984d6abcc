"""The config of one offline comparison (``satcoop compare``, ``kind = "compare"`` sweep points).

Every field is also a sweep axis. Validated on load (:func:`agents.config.errors.parse`): one line
naming the field, the value and what is allowed.
"""
from __future__ import annotations

import math

from pydantic import ConfigDict, Field, field_validator

from .constellation import ConstellationSpec
from .cooperation import CrossShellSpec, SelectionFields
from .errors import parse

__all__ = ["CompareConfig"]


class CompareConfig(SelectionFields):
    """Configuration of one offline comparison (every field is also a sweep axis).

    S, K: cooperating satellites and UTs per drop; power_dbw: per-satellite budgets P_s (dBW,
    per subcarrier; a single number is accepted); drops: number of drops, the drop indices
    ``[first, first + drops)`` of ``seed``; samples: Monte Carlo samples of (16) per drop;
    max_iter, tol: outer iterations and relative objective tolerance of the iterative schemes;
    batch: drops per batched scheme call; schemes: subset of the registry (None: all, in
    registration order; a single name is accepted); threads: torch intra-op threads;
    sat_upa: the satellite UPA (nx, ny), M = nx ny antennas (Table I: 8 x 8);
    constellation: :class:`agents.config.constellation.ConstellationSpec` (default: the Walker-Delta
    1680/28/1 at 600 km, 53 deg; Walker shells or TLE/OMM files), recorded in the output;
    center: a fixed region centre (lat, lon deg) for every drop instead of drawn ones (the times are
    still drawn); selection / max_member_latency_s / allow_transit / partial: how each drop's members are
    chosen (:class:`agents.config.cooperation.SelectionFields`); cross_shell: links across shells (None: off).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    S: int = Field(3, ge=1, le=64)
    K: int = Field(12, ge=1, le=256)
    power_dbw: list[float] = Field(default_factory=lambda: [-10.0, -5.0, 0.0, 5.0, 10.0], min_length=1)
    drops: int = Field(50, ge=1, le=100_000)            # bounds: a typo (1e9) fails now, not out of memory
    first: int = Field(0, ge=0)
    seed: int = Field(0, ge=0)
    samples: int = Field(256, ge=2, le=65_536)
    max_iter: int = Field(100, ge=1, le=10_000)
    tol: float = Field(1e-4, ge=0.0, allow_inf_nan=False)
    batch: int = Field(64, ge=1)
    schemes: list[str] | None = None
    threads: int = Field(1, ge=1, le=256)
    sat_upa: tuple[int, int] = (8, 8)
    constellation: ConstellationSpec = Field(default_factory=ConstellationSpec)
    weights: list[str] = Field(default_factory=list)   # `satcoop train` weight files for the learned schemes
    center: tuple[float, float] | None = None
    cross_shell: CrossShellSpec | None = None

    @field_validator("center", mode="before")
    @classmethod
    def _center(cls, v):
        from .world import parse_center
        return parse_center(v)

    @field_validator("weights", mode="before")
    @classmethod
    def _weights_list(cls, v):
        return [] if v is None else ([v] if isinstance(v, str) else v)

    @field_validator("weights")
    @classmethod
    def _weights_exist(cls, v, info):
        """Each file a readable satcoop net (refused pickles, truncated files, NaN weights... are one line),
        each for a learned scheme that runs (else it would be ignored silently)."""
        if not v:
            return v
        from agents.nets.schemes import SCHEME_NAMES, check_weights, load_net
        schemes = info.data.get("schemes")
        for path in v:
            try:
                check_weights(path, "weights")
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("weights: ")) from None
            name = SCHEME_NAMES[load_net(path).config.arch]
            if schemes is not None and name not in schemes:
                raise ValueError(f"{path} holds a {name} net but {name} is not among the schemes run ({schemes})")
        return v

    @field_validator("power_dbw")
    @classmethod
    def _distinct_powers(cls, v):
        dup = sorted({p for p in v if v.count(p) > 1})
        if dup:
            raise ValueError(f"power {dup[0]:g} dBW given twice; give each power once")
        return v

    @field_validator("sat_upa")
    @classmethod
    def _upa(cls, v):
        if not all(1 <= x <= 64 for x in v):
            raise ValueError(f"each side of the satellite UPA must be 1..64 elements, got {v}")
        return v

    @field_validator("power_dbw", mode="before")
    @classmethod
    def _power_list(cls, v):
        return [v] if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("power_dbw")
    @classmethod
    def _power_range(cls, v):
        for x in v:
            if not (math.isfinite(x) and -100.0 <= x <= 100.0):
                raise ValueError(f"values must be finite, within [-100, 100] dBW, got {x}")
        return v

    @field_validator("schemes", mode="before")
    @classmethod
    def _scheme_list(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("schemes")
    @classmethod
    def _scheme_known(cls, v):
        if v is None:
            return v
        if not v:
            raise ValueError("give at least one scheme (or leave it out for all)")
        dup = sorted({n for n in v if v.count(n) > 1})
        if dup:
            raise ValueError(f"{dup} given more than once; give each scheme once")
        from agents.schemes import CATALOG as reg
        unknown = [n for n in v if n not in reg]
        if unknown:
            raise ValueError(f"unknown {unknown}; registered: {list(reg)}")
        return v

    @classmethod
    def parse(cls, data: dict, prefix: str = "", rename=None) -> "CompareConfig":
        """Validate ``data``; :class:`BadInput` naming the field (with ``prefix``/``rename``) on bad input."""
        return parse(cls, data, prefix=prefix, rename=rename)

    def scheme_names(self) -> list[str]:
        from agents.schemes import names
        return names() if self.schemes is None else list(self.schemes)
